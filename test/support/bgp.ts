// Shared helpers for the BGP tests: hex in and out, error capture, and fast-check arbitraries for messages.
import fc from "fast-check";
import type { Capability } from "../../src/protocols/bgp/capabilities.js";
import type { PathAttributes, UnknownAttribute } from "../../src/protocols/bgp/attributes.js";
import type { AsPathSegment } from "../../src/protocols/bgp/asPath.js";
import type { BgpMessage } from "../../src/protocols/bgp/message.js";
import { formatIp } from "../../src/net/ip.js";

export const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
/** The 16-octet all-ones marker. */
export const MARKER = "ff".repeat(16);

export function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

/** A whole message around `bodyHex`, with the Length field computed (for the error tables, built from valid bodies). */
export function msg(type: number, bodyHex: string): string {
  const body = bodyHex.replace(/\s+/g, "");
  const length = 19 + body.length / 2;
  return `${MARKER}${length.toString(16).padStart(4, "0")}${type.toString(16).padStart(2, "0")}${body}`;
}

/** An attribute: flags, type, length (1 or 2 octets by the flag), value. */
export function attr(flags: number, type: number, valueHex: string): string {
  const value = valueHex.replace(/\s+/g, "");
  const n = value.length / 2;
  const len = (flags & 0x10) !== 0 ? n.toString(16).padStart(4, "0") : n.toString(16).padStart(2, "0");
  return `${flags.toString(16).padStart(2, "0")}${type.toString(16).padStart(2, "0")}${len}${value}`;
}

/** An UPDATE body from withdrawn, attributes and NLRI hex, lengths computed. */
export function updateBody(withdrawnHex: string, attrsHex: string, nlriHex = ""): string {
  const w = withdrawnHex.replace(/\s+/g, "");
  const a = attrsHex.replace(/\s+/g, "");
  const n = (s: string): string => (s.length / 2).toString(16).padStart(4, "0");
  return `${n(w)}${w}${n(a)}${a}${nlriHex.replace(/\s+/g, "")}`;
}

const u8 = fc.integer({ min: 0, max: 255 });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const ipv4Arb = fc.ipV4();
/** A unicast host address NEXT_HOP accepts (not 0/8, 127/8, 224/3). */
export const nextHopArb = fc
  .tuple(fc.integer({ min: 1, max: 223 }).filter((a) => a !== 127), u8, u8, u8)
  .map((parts) => parts.join("."));
export const ipv6Arb = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((value) => formatIp({ family: 6, value }));

function prefixArb(family: 4 | 6): fc.Arbitrary<string> {
  const bits = family === 4 ? 32 : 128;
  return fc.tuple(fc.bigInt({ min: 0n, max: (1n << BigInt(bits)) - 1n }), fc.integer({ min: 0, max: bits })).map(([v, len]) => {
    const host = BigInt(bits - len);
    return `${formatIp({ family, value: (v >> host) << host })}/${len}`;
  });
}
export const ipv4PrefixArb = prefixArb(4);
export const ipv6PrefixArb = prefixArb(6);

export const communityArb = fc.tuple(u16, u16).map(([a, b]) => `${a}:${b}`);
export const largeCommunityArb = fc.tuple(u32, u32, u32).map(([a, b, c]) => `${a}:${b}:${c}`);

const segmentArb = (maxAsn: number): fc.Arbitrary<AsPathSegment> =>
  fc.record({
    type: fc.constantFrom("sequence" as const, "set" as const, "confedSequence" as const, "confedSet" as const),
    asns: fc.array(fc.integer({ min: 0, max: maxAsn }), { minLength: 1, maxLength: 6 }),
  });

const KNOWN_ATTRS = new Set([1, 2, 3, 4, 5, 6, 7, 8, 14, 15, 17, 18, 32]);
const unknownAttrArb: fc.Arbitrary<UnknownAttribute> = fc.record({
  flags: fc.constantFrom(0x80, 0xc0, 0xe0, 0x90, 0xd0).map((f) => f),
  typeCode: u8.filter((c) => !KNOWN_ATTRS.has(c)),
  value: fc.uint8Array({ maxLength: 12 }),
});

function uniqueUnknown(list: UnknownAttribute[]): UnknownAttribute[] {
  const seen = new Set<number>();
  return list.filter((u) => (seen.has(u.typeCode) ? false : (seen.add(u.typeCode), true))).sort((a, b) => a.typeCode - b.typeCode);
}

/** Attributes for an UPDATE between 4-octet-AS speakers (fourOctetAs: true) or not. */
export function attributesArb(fourOctetAs: boolean): fc.Arbitrary<PathAttributes> {
  const maxAsn = fourOctetAs ? 0xffffffff : 0xffff;
  const aggregator = fc.record({ asn: fc.integer({ min: 0, max: maxAsn }), address: ipv4Arb });
  return fc.record(
    {
      origin: fc.constantFrom("igp" as const, "egp" as const, "incomplete" as const),
      asPath: fc.array(segmentArb(maxAsn), { maxLength: 3 }),
      nextHop: nextHopArb,
      med: u32,
      localPref: u32,
      atomicAggregate: fc.constant(true as const),
      aggregator,
      communities: fc.array(communityArb, { minLength: 1, maxLength: 5 }),
      mpReach: fc.oneof(
        fc.record({ afi: fc.constant(1 as const), safi: fc.constant(1 as const), nextHop: ipv4Arb, nlri: fc.array(ipv4PrefixArb, { maxLength: 4 }) }),
        fc.record(
          { afi: fc.constant(2 as const), safi: fc.constant(1 as const), nextHop: ipv6Arb, linkLocalNextHop: ipv6Arb, nlri: fc.array(ipv6PrefixArb, { maxLength: 4 }) },
          { requiredKeys: ["afi", "safi", "nextHop", "nlri"] },
        ),
      ),
      mpUnreach: fc.record({ afi: fc.constantFrom(1 as const, 2 as const), safi: fc.constant(1 as const), withdrawn: fc.constant([] as string[]) }).chain((u) =>
        fc.array(u.afi === 1 ? ipv4PrefixArb : ipv6PrefixArb, { maxLength: 4 }).map((withdrawn) => ({ ...u, withdrawn })),
      ),
      as4Path: fc.array(segmentArb(0xffffffff), { maxLength: 2 }),
      as4Aggregator: fc.record({ asn: u32, address: ipv4Arb }),
      largeCommunities: fc.array(largeCommunityArb, { minLength: 1, maxLength: 3 }),
      unknown: fc.array(unknownAttrArb, { minLength: 1, maxLength: 3 }).map(uniqueUnknown),
    },
    { requiredKeys: ["origin", "asPath"] },
  );
}

const capabilityArb: fc.Arbitrary<Capability> = fc.oneof(
  fc.record({ kind: fc.constant("multiprotocol" as const), afi: u16, safi: u8 }),
  fc.constant({ kind: "routeRefresh" as const }),
  fc.record({ kind: fc.constant("fourOctetAs" as const), asn: u32 }),
  fc.record({
    kind: fc.constant("gracefulRestart" as const),
    restarting: fc.boolean(),
    notification: fc.boolean(),
    restartTime: fc.integer({ min: 0, max: 4095 }),
    families: fc.array(fc.record({ afi: u16, safi: u8, forwarding: fc.boolean() }), { maxLength: 3 }),
  }),
  fc.record({ kind: fc.constant("extendedNextHop" as const), families: fc.array(fc.record({ afi: u16, safi: u16, nextHopAfi: u16 }), { maxLength: 3 }) }),
  fc.record({ kind: fc.constant("unknown" as const), code: u8.filter((c) => ![1, 2, 5, 64, 65].includes(c)), value: fc.uint8Array({ maxLength: 10 }) }),
);

export function messageArb(fourOctetAs = true): fc.Arbitrary<BgpMessage> {
  return fc.oneof(
    fc.record({ type: fc.constant("open" as const), asn: u16, holdTime: u16, bgpId: ipv4Arb, capabilities: fc.array(capabilityArb, { maxLength: 8 }) }),
    fc.record({
      type: fc.constant("update" as const),
      withdrawn: fc.array(ipv4PrefixArb, { maxLength: 5 }),
      attributes: attributesArb(fourOctetAs),
      nlri: fc.array(ipv4PrefixArb, { maxLength: 5 }),
    }).map((u) => (u.nlri.length > 0 && u.attributes.nextHop === undefined ? { ...u, attributes: { ...u.attributes, nextHop: "198.18.0.1" } } : u)),
    fc.record({ type: fc.constant("notification" as const), code: u8, subcode: u8, data: fc.uint8Array({ maxLength: 20 }) }),
    fc.constant({ type: "keepalive" as const }),
    fc.record({ type: fc.constant("routeRefresh" as const), afi: u16, safi: u8, subtype: u8 }),
  );
}
