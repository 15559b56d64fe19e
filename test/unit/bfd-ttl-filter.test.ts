import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_FILTER_INSTRUCTIONS, multihopTtlFilter, type BpfInstruction, type TtlFloor } from "../../src/protocols/bfd/ttlFilter.js";
import { ttlAccepted } from "../../src/protocols/bfd/timers.js";

// The multihop receive TTL check per session (RFC 5883 5, BFDProfile.minimumTtl) as a socket filter program, run here
// by a small classic-BPF interpreter over IP headers: a packet is accepted exactly when its TTL / hop limit reaches the
// floor of the session of its source address, or the default floor for any other source.

const NET_OFF = 0xfff00000;

/** The instructions multihopTtlFilter emits, as the kernel runs them (sk_run_filter), over an IP header. */
function runFilter(program: readonly BpfInstruction[], header: Uint8Array): boolean {
  let a = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const i = program[pc]!;
    const off = i.k - NET_OFF;
    if (i.code === 0x20) a = new DataView(header.buffer).getUint32(off);
    else if (i.code === 0x30) a = header[off]!;
    else if (i.code === 0x15) pc += a === i.k ? i.jt : i.jf;
    else if (i.code === 0x35) pc += a >= i.k ? i.jt : i.jf;
    else if (i.code === 0x06) return i.k !== 0;
    else throw new Error(`unexpected instruction ${i.code}`);
  }
  throw new Error("the program fell off its end");
}

function ipv4Header(source: string, ttl: number): Uint8Array {
  const h = new Uint8Array(20);
  h[0] = 0x45;
  h[8] = ttl;
  source.split(".").forEach((o, i) => (h[12 + i] = Number(o)));
  return h;
}

function ipv6Header(source: readonly number[], hopLimit: number): Uint8Array {
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h[7] = hopLimit;
  source.forEach((g, i) => new DataView(h.buffer).setUint16(8 + 2 * i, g));
  return h;
}

const v6Text = (groups: readonly number[]): string => groups.map((g) => g.toString(16)).join(":");

describe("multihop TTL floor per session (socket filter program)", () => {
  const floors: TtlFloor[] = [{ address: "198.18.0.1", minTtl: 253 }, { address: "198.18.0.2", minTtl: 254 }];
  it.each([
    ["a packet two hops away from the peer whose profile allows it", "198.18.0.1", 253, true],
    ["the same distance from the peer with the stricter profile", "198.18.0.2", 253, false],
    ["the stricter peer one hop away", "198.18.0.2", 254, true],
    ["below the lenient floor", "198.18.0.1", 252, false],
    ["an unknown source at the default floor", "198.18.0.9", 254, true],
    ["an unknown source below it", "198.18.0.9", 253, false],
  ] as const)("IPv4: %s", (_name, source, ttl, accepted) => {
    expect(runFilter(multihopTtlFilter(4, floors, 254), ipv4Header(source, ttl))).toBe(accepted);
  });

  it("IPv6: each session's floor applies to its own source address (compressed text, high groups)", () => {
    const peer = [0x2001, 0xdb8, 0, 0, 0, 0, 0xffff, 0x8001];
    const other = [0x2001, 0xdb8, 0, 0, 0, 0, 0xffff, 0x8002];
    const program = multihopTtlFilter(6, [{ address: "2001:db8::ffff:8001", minTtl: 250 }], 254);
    expect(runFilter(program, ipv6Header(peer, 250))).toBe(true);
    expect(runFilter(program, ipv6Header(peer, 249))).toBe(false);
    expect(runFilter(program, ipv6Header(other, 250))).toBe(false);
  });

  it("property: accepted exactly when ttlAccepted holds for the source's floor (or the default)", () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const v4 = fc.tuple(octet, octet).map(([a, b]) => `198.18.${a}.${b}`);
    fc.assert(
      fc.property(fc.uniqueArray(fc.record({ address: v4, minTtl: fc.integer({ min: 1, max: 255 }) }), { selector: (f) => f.address, maxLength: 20 }), v4, octet, fc.integer({ min: 1, max: 255 }), (table, source, ttl, dflt) => {
        const floor = table.find((f) => f.address === source)?.minTtl ?? dflt;
        expect(runFilter(multihopTtlFilter(4, table, dflt), ipv4Header(source, ttl))).toBe(ttlAccepted(ttl, true, floor));
      }),
    );
    const group = fc.integer({ min: 0, max: 0xffff });
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 255 }), (source, minTtl, ttl) => {
        const program = multihopTtlFilter(6, [{ address: v6Text(source), minTtl }], 255);
        expect(runFilter(program, ipv6Header(source, ttl))).toBe(ttl >= minTtl);
      }),
    );
  });

  it("a table too long for the kernel falls back to the lowest floor for every packet", () => {
    const many = Array.from({ length: 400 }, (_, i) => ({ address: `2001:db8::${(i + 1).toString(16)}`, minTtl: i === 7 ? 200 : 254 }));
    const program = multihopTtlFilter(6, many, 254);
    expect(program.length).toBeLessThanOrEqual(MAX_FILTER_INSTRUCTIONS);
    expect(runFilter(program, ipv6Header([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x999], 200))).toBe(true);
    expect(runFilter(program, ipv6Header([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0x999], 199))).toBe(false);
  });
});
