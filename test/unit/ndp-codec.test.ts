import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { icmpv6Checksum } from "../../src/protocols/codec/checksum.js";
import { DecodeError, EncodeError } from "../../src/protocols/codec/errors.js";
import { decode, encode, encodeInto, encodingLength } from "../../src/protocols/ndp/codec.js";
import type { NdpFrame, NdpOption } from "../../src/protocols/ndp/codec.js";
import { dadProbe, neighborSolicitation, solicitedAdvertisement, unsolicitedAdvertisement } from "../../src/protocols/ndp/messages.js";

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const flat = (h: string): string => h.replace(/\s+/g, "");

const PEER = "02:00:00:00:00:01";
const NODE = "0a:1b:2c:3d:4e:5f";
const VIP = "2001:db8:0:1::c8";
const tlla = (mac: string): NdpOption => ({ kind: "targetLinkLayer", mac });
const slla = (mac: string): NdpOption => ({ kind: "sourceLinkLayer", mac });

// Rows marked "Linux" were captured from a real kernel (tcpdump -xx on a veth; checksums are the kernel's). The
// others are this codec's own frames, each checked once with `tcpdump -vv` ("icmp6 sum ok").
// Layout: eth dst | eth src | 86dd | ver/tc/flow | len | nh hlim | src | dst | type code sum | flags/rsvd | target | options
// prettier-ignore
const golden: ReadonlyArray<{ name: string; frame: NdpFrame; hex: string }> = [
  {
    name: "Linux: solicited advertisement to a link-local solicitor",
    frame: { ethDst: "02:00:00:00:00:0a", ethSrc: "02:00:00:00:00:0b", ipSrc: "2001:db8::b", ipDst: "fe80::ff:fe00:a",
      message: { type: "advertisement", router: false, solicited: true, override: true, target: "2001:db8::b", options: [tlla("02:00:00:00:00:0b")] } },
    hex: `02000000000a 02000000000b 86dd 60000000 0020 3aff 20010db800000000000000000000000b fe80000000000000000000fffe00000a
          88 00 ba85 60000000 20010db800000000000000000000000b 0201 02000000000b`,
  },
  {
    name: "Linux: solicited advertisement to a global solicitor",
    frame: { ethDst: "02:00:00:00:00:0a", ethSrc: "02:00:00:00:00:0b", ipSrc: "2001:db8::b", ipDst: "2001:db8::a",
      message: { type: "advertisement", router: false, solicited: true, override: true, target: "2001:db8::b", options: [tlla("02:00:00:00:00:0b")] } },
    hex: `02000000000a 02000000000b 86dd 60000000 0020 3aff 20010db800000000000000000000000b 20010db800000000000000000000000a
          88 00 8a4d 60000000 20010db800000000000000000000000b 0201 02000000000b`,
  },
  {
    name: "Linux: duplicate address detection probe with a nonce option (RFC 7527)",
    frame: { ethDst: "33:33:ff:00:00:0d", ethSrc: "02:00:00:00:00:0a", ipSrc: "::", ipDst: "ff02::1:ff00:d",
      message: { type: "solicitation", target: "2001:db8::d", options: [{ kind: "other", type: 14, data: hex("5103b3b88282") }] } },
    hex: `3333ff00000d 02000000000a 86dd 60000000 0020 3aff 00000000000000000000000000000000 ff0200000000000000000001ff00000d
          87 00 b78d 00000000 20010db800000000000000000000000d 0e01 5103b3b88282`,
  },
  {
    name: "unsolicited advertisement on takeover: to all nodes, Override only",
    frame: unsolicitedAdvertisement(VIP, NODE),
    hex: `333300000001 0a1b2c3d4e5f 86dd 60000000 0020 3aff 20010db80000000100000000000000c8 ff020000000000000000000000000001
          88 00 74e4 20000000 20010db80000000100000000000000c8 0201 0a1b2c3d4e5f`,
  },
  {
    name: "multicast solicitation to the solicited-node group",
    frame: neighborSolicitation({ mac: PEER, ip: "fe80::1", target: VIP }),
    hex: `3333ff0000c8 020000000001 86dd 60000000 0020 3aff fe800000000000000000000000000001 ff0200000000000000000001ff0000c8
          87 00 49d2 00000000 20010db80000000100000000000000c8 0101 020000000001`,
  },
  {
    name: "unicast solicitation (neighbour unreachability detection)",
    frame: neighborSolicitation({ mac: PEER, ip: "2001:db8:0:1::1", target: VIP, unicastTo: NODE }),
    hex: `0a1b2c3d4e5f 020000000001 86dd 60000000 0020 3aff 20010db8000000010000000000000001 20010db80000000100000000000000c8
          87 00 eae3 00000000 20010db80000000100000000000000c8 0101 020000000001`,
  },
  {
    name: "duplicate address detection probe without options",
    frame: dadProbe(VIP, PEER),
    hex: `3333ff0000c8 020000000001 86dd 60000000 0018 3aff 00000000000000000000000000000000 ff0200000000000000000001ff0000c8
          87 00 4b5e 00000000 20010db80000000100000000000000c8`,
  },
  {
    name: "solicited advertisement answering the multicast solicitation",
    frame: solicitedAdvertisement(neighborSolicitation({ mac: PEER, ip: "fe80::1", target: VIP }), NODE),
    hex: `020000000001 0a1b2c3d4e5f 86dd 60000000 0020 3aff 20010db80000000100000000000000c8 fe800000000000000000000000000001
          88 00 3566 60000000 20010db80000000100000000000000c8 0201 0a1b2c3d4e5f`,
  },
];

// ndisc6 from Linux: a nonzero flow label, which decoding ignores (so this row is decode-only).
const NDISC6_NS = `3333ff00000b 02000000000a 86dd 600bc08a 0020 3aff fe80000000000000000000fffe00000a ff0200000000000000000001ff00000b
                   87 00 4c3b 00000000 20010db800000000000000000000000b 0101 02000000000a`;

describe("NDP codec golden table", () => {
  it.each(golden)("$name encodes to its hex", ({ frame, hex: h }) => {
    expect(toHex(encode(frame))).toBe(flat(h));
  });

  it.each(golden)("$name decodes from its hex", ({ frame, hex: h }) => {
    expect(decode(hex(h))).toEqual({ value: frame, bytesRead: flat(h).length / 2 });
  });

  it.each(golden)("$name decodes with trailing Ethernet padding and FCS", ({ frame, hex: h }) => {
    const padded = new Uint8Array(flat(h).length / 2 + 12).fill(0xa5);
    padded.set(hex(h));
    expect(decode(padded)).toEqual({ value: frame, bytesRead: flat(h).length / 2 });
  });

  it("decodes ndisc6's solicitation, ignoring its flow label", () => {
    expect(decode(hex(NDISC6_NS)).value).toEqual(
      neighborSolicitation({ mac: "02:00:00:00:00:0a", ip: "fe80::ff:fe00:a", target: "2001:db8::b" }),
    );
  });

  it("decodes at an offset and encodeInto writes at one", () => {
    const { frame, hex: h } = golden[3]!;
    const buf = new Uint8Array(5 + 86).fill(0xee);
    expect(encodeInto(frame, buf, 5)).toBe(86);
    expect(toHex(buf.subarray(5))).toBe(flat(h));
    expect(buf[4]).toBe(0xee);
    expect(decode(buf, 5)).toEqual({ value: frame, bytesRead: 86 });
  });
});

// Builds a frame from the hex of a valid one with bytes replaced, then (unless told not to) a fresh checksum, so
// each error row trips exactly the rule it names and not the checksum.
function patched(base: string, edits: ReadonlyArray<[at: number, hex: string]>, fixSum = true): string {
  const b = hex(base);
  for (const [at, h] of edits) b.set(hex(h), at);
  if (fixSum && b.length >= 58) {
    const len = Math.min(((b[18]! << 8) | b[19]!), b.length - 54);
    b[56] = 0;
    b[57] = 0;
    const sum = icmpv6Checksum(b.subarray(22, 38), b.subarray(38, 54), b, 54, 54 + len);
    b[56] = sum >> 8;
    b[57] = sum & 0xff;
  }
  return toHex(b);
}

const NS = flat(golden[4]!.hex);
const NA = flat(golden[3]!.hex);
const DAD = flat(golden[6]!.hex);
const LINUX_DAD = flat(golden[2]!.hex);

// prettier-ignore
const errors: ReadonlyArray<{ name: string; hex: string; code: string; offset: number }> = [
  { name: "empty buffer", hex: "", code: "TRUNCATED", offset: 0 },
  { name: "Ethernet header only", hex: NS.slice(0, 28), code: "TRUNCATED", offset: 14 },
  { name: "IPv6 header cut short", hex: NS.slice(0, 100), code: "TRUNCATED", offset: 38 },
  { name: "IPv4 ethertype", hex: patched(NS, [[12, "0800"]], false), code: "NDP_BAD_ETHERTYPE", offset: 12 },
  { name: "802.1Q-tagged frame", hex: patched(NS, [[12, "8100"]], false), code: "NDP_BAD_ETHERTYPE", offset: 12 },
  { name: "IP version 4 in an IPv6 ethertype", hex: patched(NS, [[14, "45"]], false), code: "NDP_BAD_IP_VERSION", offset: 14 },
  { name: "hop-by-hop extension header", hex: patched(NS, [[20, "00"]], false), code: "NDP_BAD_NEXT_HEADER", offset: 20 },
  { name: "UDP next header", hex: patched(NS, [[20, "11"]], false), code: "NDP_BAD_NEXT_HEADER", offset: 20 },
  { name: "hop limit 254 (forwarded by a router: RFC 4861 7.1.1)", hex: patched(NS, [[21, "fe"]]), code: "NDP_BAD_HOP_LIMIT", offset: 21 },
  { name: "hop limit 1", hex: patched(NA, [[21, "01"]]), code: "NDP_BAD_HOP_LIMIT", offset: 21 },
  { name: "payload length beyond the frame", hex: patched(NS, [[18, "0030"]], false), code: "LENGTH_OVERFLOW", offset: 54 },
  { name: "ICMPv6 length 16 (< 24)", hex: patched(NS, [[18, "0010"]]).slice(0, 140), code: "NDP_TOO_SHORT", offset: 54 },
  { name: "router solicitation (type 133)", hex: patched(NS, [[54, "85"]]), code: "NDP_BAD_TYPE", offset: 54 },
  { name: "echo request (type 128)", hex: patched(NS, [[54, "80"]]), code: "NDP_BAD_TYPE", offset: 54 },
  { name: "code 1", hex: patched(NS, [[55, "01"]]), code: "NDP_BAD_CODE", offset: 55 },
  { name: "checksum off by one", hex: patched(NS, [[57, "d3"]], false), code: "NDP_BAD_CHECKSUM", offset: 56 },
  { name: "checksum zero", hex: patched(NA, [[56, "0000"]], false), code: "NDP_BAD_CHECKSUM", offset: 56 },
  { name: "target flipped without a new checksum", hex: patched(NA, [[77, "c9"]], false), code: "NDP_BAD_CHECKSUM", offset: 56 },
  { name: "option length 0 (must not loop)", hex: patched(NS, [[79, "00"]]), code: "NDP_OPTION_ZERO_LENGTH", offset: 79 },
  { name: "option length 0 in an unknown option", hex: patched(LINUX_DAD, [[79, "00"]]), code: "NDP_OPTION_ZERO_LENGTH", offset: 79 },
  { name: "option longer than the message", hex: patched(NS, [[79, "02"]]), code: "LENGTH_OVERFLOW", offset: 80 },
  { name: "source link-layer option of 16 bytes", hex: patched(NS + "0000000000000000", [[19, "28"], [79, "02"]]), code: "NDP_BAD_LINK_LAYER_LENGTH", offset: 79 },
  { name: "one stray byte after the options", hex: patched(NS + "00", [[19, "21"]]), code: "TRUNCATED", offset: 87 },
  { name: "multicast target", hex: patched(NS, [[62, "ff02"]]), code: "NDP_MULTICAST_TARGET", offset: 62 },
  { name: "multicast source", hex: patched(NS, [[22, "ff02"]]), code: "NDP_MULTICAST_SOURCE", offset: 22 },
  { name: "DAD probe to the target itself, not its solicited-node group", hex: patched(DAD, [[38, "20010db80000000100000000000000c8"]]), code: "NDP_DAD_NOT_SOLICITED_NODE", offset: 54 },
  { name: "DAD probe to all nodes", hex: patched(DAD, [[38, "ff020000000000000000000000000001"]]), code: "NDP_DAD_NOT_SOLICITED_NODE", offset: 54 },
  { name: "DAD probe with a source link-layer option", hex: patched(NS, [[22, "00000000000000000000000000000000"]]), code: "NDP_DAD_WITH_SOURCE_LINK_LAYER", offset: 54 },
  { name: "advertisement to all nodes with the Solicited flag", hex: patched(NA, [[58, "60"]]), code: "NDP_SOLICITED_TO_MULTICAST", offset: 54 },
];

describe("NDP codec error table", () => {
  it.each(errors)("$name -> $code at $offset", ({ hex: h, code, offset }) => {
    const err = catchError(() => decode(hex(h)));
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toMatchObject({ code, offset });
  });

  it("ignores reserved bits and a nonzero traffic class", () => {
    const h = patched(NA, [[14, "6e"], [59, "ffffff"], [58, "3f"]]);
    expect(decode(hex(h)).value).toEqual(golden[3]!.frame);
  });

  it("rejects a start offset past the end", () => {
    expect(catchError(() => decode(hex(NS), 87))).toMatchObject({ code: "BAD_OFFSET", offset: 87 });
  });

  const ns = golden[4]!.frame;
  // prettier-ignore
  it.each([
    { name: "uppercase MAC", frame: { ...ns, ethDst: "33:33:FF:00:00:C8" }, code: "INVALID_MAC", field: "ethDst" },
    { name: "non-canonical IPv6", frame: { ...ns, ipSrc: "fe80:0::1" }, code: "INVALID_IPV6", field: "ipSrc" },
    { name: "IPv4 target", frame: { ...ns, message: { ...ns.message, target: "198.18.0.200" } }, code: "INVALID_IPV6", field: "message.target" },
    { name: "multicast target", frame: { ...ns, message: { ...ns.message, target: "ff02::1" } }, code: "NDP_MULTICAST_TARGET", field: "message" },
    { name: "DAD probe with a source link-layer option", frame: { ...ns, ipSrc: "::" }, code: "NDP_DAD_WITH_SOURCE_LINK_LAYER", field: "message" },
    { name: "solicited advertisement to all nodes", frame: { ...golden[3]!.frame, message: { ...golden[3]!.frame.message, solicited: true } }, code: "NDP_SOLICITED_TO_MULTICAST", field: "message" },
    { name: "unknown option with a ragged length", frame: { ...ns, message: { ...ns.message, options: [{ kind: "other", type: 14, data: new Uint8Array(5) }] } }, code: "NDP_BAD_OPTION_LENGTH", field: "message.options[0].data" },
    { name: "link-layer option typed as other", frame: { ...ns, message: { ...ns.message, options: [{ kind: "other", type: 1, data: new Uint8Array(6) }] } }, code: "NDP_BAD_OPTION_TYPE", field: "message.options[0].type" },
    { name: "unknown message type", frame: { ...ns, message: { ...ns.message, type: "redirect" } }, code: "NDP_BAD_TYPE", field: "message.type" },
  ] as ReadonlyArray<{ name: string; frame: NdpFrame; code: string; field: string }>)("encode refuses $name ($code in $field)", ({ frame, code, field }) => {
    const err = catchError(() => encode(frame));
    expect(err).toBeInstanceOf(EncodeError);
    expect(err).toMatchObject({ code, field });
  });

  it("encodeInto refuses a buffer that is too small", () => {
    expect(() => encodeInto(golden[3]!.frame, new Uint8Array(85))).toThrow(RangeError);
  });
});

const byte = fc.integer({ min: 0, max: 255 });
const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":"));
const unicastIp = fc.ipV6().map((ip) => new URL(`http://[${ip}]/`).hostname.slice(1, -1)).filter((ip) => !ip.startsWith("ff"));
const anyIp = fc.oneof(unicastIp, fc.constant("ff02::1"), fc.constant("ff02::1:ff00:c8"));
const optionArb: fc.Arbitrary<NdpOption> = fc.oneof(
  macArb.map(slla),
  macArb.map(tlla),
  fc.record({
    kind: fc.constant("other" as const),
    type: byte.filter((t) => t !== 1 && t !== 2),
    data: fc.integer({ min: 0, max: 4 }).chain((units) => fc.uint8Array({ minLength: units * 8 + 6, maxLength: units * 8 + 6 })),
  }),
);
const frameArb: fc.Arbitrary<NdpFrame> = fc
  .record({
    ethDst: macArb,
    ethSrc: macArb,
    ipSrc: fc.oneof(unicastIp, fc.constant("::")),
    ipDst: anyIp,
    target: unicastIp,
    options: fc.array(optionArb, { maxLength: 4 }),
    flags: fc.tuple(fc.boolean(), fc.boolean(), fc.boolean()),
    advert: fc.boolean(),
  })
  .map(({ flags: [router, solicited, override], advert, target, options, ...rest }): NdpFrame => {
    if (advert) {
      return { ...rest, message: { type: "advertisement", router, solicited: solicited && !rest.ipDst.startsWith("ff"), override, target, options } };
    }
    if (rest.ipSrc !== "::") return { ...rest, message: { type: "solicitation", target, options } };
    return { ...rest, ipDst: "ff02::1:ff00:c8", message: { type: "solicitation", target, options: options.filter((o) => o.kind !== "sourceLinkLayer") } };
  });

describe("NDP codec properties", () => {
  it("encode(m).length === encodingLength(m) and decode(encode(m)) deep-equals m", () => {
    fc.assert(
      fc.property(frameArb, (m) => {
        const bytes = encode(m);
        expect(bytes.length).toBe(encodingLength(m));
        expect(decode(bytes)).toEqual({ value: m, bytesRead: bytes.length });
      }),
    );
  });

  it("arbitrary bytes either decode or throw DecodeError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 140 }), fc.nat(150), (bytes, offset) => {
        decodeOrDecodeError(bytes, offset);
      }),
      { numRuns: 2000 },
    );
  });

  it("arbitrary ICMPv6 bodies behind a valid header and checksum decode or throw DecodeError", () => {
    const header = NS.slice(0, 108); // Ethernet + IPv6 of the multicast solicitation
    fc.assert(
      fc.property(fc.constantFrom(135, 136), fc.uint8Array({ minLength: 22, maxLength: 120 }), (type, body) => {
        const h = header.slice(0, 36) + (2 + body.length).toString(16).padStart(4, "0") + header.slice(40) + type.toString(16) + "00" + toHex(body);
        decodeOrDecodeError(hex(patched(h, [])), 0);
      }),
      { numRuns: 3000 },
    );
  });

  it("a valid frame with one byte changed (checksum fixed up) decodes to a frame that re-encodes and decodes the same, or throws DecodeError", () => {
    fc.assert(
      fc.property(frameArb, fc.nat(200), byte, (m, at, value) => {
        const bytes = encode(m);
        const i = at % bytes.length;
        if (i === 56 || i === 57) return;
        const changed = patched(toHex(bytes), [[i, value.toString(16).padStart(2, "0")]]);
        const result = decodeOrDecodeError(hex(changed), 0);
        if (result !== undefined) expect(decode(encode(result)).value).toEqual(result);
      }),
      { numRuns: 2000 },
    );
  });
});

function decodeOrDecodeError(bytes: Uint8Array, offset: number): NdpFrame | undefined {
  try {
    return decode(bytes, offset).value;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return undefined;
  }
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}
