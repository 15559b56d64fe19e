// RFC 7606 revised error handling of received UPDATEs: an outcome table (hex -> each error's kind and handling, and
// what the routes then count as), RFC 8950 extended next hop golden and round trip, a property over arbitrary
// attribute sections, and FSM/peer scenarios showing that a malformed attribute never resets the session or touches
// what we advertise. The cases that still reset the session are in bgp-codec-errors.test.ts.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { desiredRoutes } from "../../src/protocols/bgp/adjRibOut.js";
import type { Capability } from "../../src/protocols/bgp/capabilities.js";
import { decode, encode, type BgpMessage, type MessageOptions } from "../../src/protocols/bgp/message.js";
import { BgpDecodeError } from "../../src/protocols/bgp/notificationCodes.js";
import { initialPeer, stepPeer, type PeerInput, type PeerState } from "../../src/protocols/bgp/peer.js";
import { initialSession, localOpen, stepSession } from "../../src/protocols/bgp/session.js";
import { messageOptions, type SessionAction, type SessionConfig, type SessionInput, type SessionState } from "../../src/protocols/bgp/sessionTypes.js";
import { deriveTimers } from "../../src/protocols/bgp/timers.js";
import { endOfRibAfi, routeCounts, type UpdateMessage } from "../../src/protocols/bgp/update.js";
import type { UpdateErrorHandling, UpdateErrorKind } from "../../src/protocols/bgp/updateErrors.js";
import { attr, hex, msg, toHex, updateBody } from "../support/bgp.js";

const ORIGIN = attr(0x40, 1, "00");
const AS_PATH = attr(0x40, 2, "02 01 0000fde9");
const NEXT_HOP = attr(0x40, 3, "c6120001");
const NLRI = "20 c61200c8"; // 198.18.0.200/32
const update = (attrs: string, nlri = NLRI, withdrawn = ""): string => msg(2, updateBody(withdrawn, attrs, nlri));
const V6 = "20010db8000000000000000000000001";
const MP_V6 = (nlri: string, nh = V6, nhLen = "10"): string => `0002 01 ${nhLen} ${nh} 00 ${nlri}`;
const MP_V4_V6HOP = `0001 01 10 ${V6} 00 20 c61200c9`; // 198.18.0.201/32 via 2001:db8::1 (RFC 8950)

type Outcome = readonly [UpdateErrorKind, UpdateErrorHandling];
interface OutcomeCase {
  readonly name: string;
  readonly hex: string;
  readonly errors: readonly Outcome[];
  /** Routes the UPDATE counts as: announced, withdrawn, ignored (with the families its errors disable). */
  readonly counts: readonly [number, number, number];
  readonly opts?: MessageOptions;
}

const TAW = "treatAsWithdraw";
const DISCARD = "attributeDiscard";
const DISABLE = "afiSafiDisable";

// prettier-ignore
const outcomes: readonly OutcomeCase[] = [
  // RFC 7606 4: the attribute section ends inside an attribute; the Total Path Attribute Length still finds the NLRI
  { name: "attribute length overruns the attribute section", hex: update(`${ORIGIN} ${AS_PATH} 40 03 09 c6120001`), errors: [["attributeOverrun", TAW]], counts: [0, 1, 0] },
  { name: "attribute header cut after the flags", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 40`), errors: [["attributeOverrun", TAW]], counts: [0, 1, 0] },
  { name: "extended attribute length cut in half", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} 50 08 00`), errors: [["attributeOverrun", TAW]], counts: [0, 1, 0] },
  // RFC 7606 3: flags that contradict the type
  { name: "ORIGIN flagged optional", hex: update(`${attr(0xc0, 1, "00")} ${AS_PATH} ${NEXT_HOP}`), errors: [["attributeFlags", TAW]], counts: [0, 1, 0] },
  { name: "AS_PATH flagged non-transitive", hex: update(`${ORIGIN} ${attr(0x00, 2, "0201 0000fde9")} ${NEXT_HOP}`), errors: [["attributeFlags", TAW]], counts: [0, 1, 0] },
  { name: "NEXT_HOP with the Partial bit", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x60, 3, "c6120001")}`), errors: [["attributeFlags", TAW]], counts: [0, 1, 0] },
  { name: "MULTI_EXIT_DISC flagged well-known", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x40, 4, "00000001")}`), errors: [["attributeFlags", TAW]], counts: [0, 1, 0] },
  { name: "COMMUNITIES flagged non-transitive", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x80, 8, "fde80064")}`), errors: [["attributeFlags", TAW]], counts: [0, 1, 0] },
  { name: "MP_REACH_NLRI flagged transitive: its routes are still found and withdrawn", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0xc0, 14, MP_V6("40 20010db800010000"))}`, ""), errors: [["attributeFlags", TAW]], counts: [0, 1, 0] },
  // RFC 7606 3: a missing well-known attribute
  { name: "NLRI without ORIGIN", hex: update(`${AS_PATH} ${NEXT_HOP}`), errors: [["missingWellKnown", TAW]], counts: [0, 1, 0] },
  { name: "NLRI without AS_PATH", hex: update(`${ORIGIN} ${NEXT_HOP}`), errors: [["missingWellKnown", TAW]], counts: [0, 1, 0] },
  { name: "NLRI without NEXT_HOP", hex: update(`${ORIGIN} ${AS_PATH}`), errors: [["missingWellKnown", TAW]], counts: [0, 1, 0] },
  { name: "MP_REACH_NLRI without ORIGIN", hex: update(`${AS_PATH} ${attr(0x80, 14, MP_V6("40 20010db800010000"))}`, ""), errors: [["missingWellKnown", TAW]], counts: [0, 1, 0] },
  { name: "only withdrawals need no attribute at all", hex: update("", "", NLRI), errors: [], counts: [0, 1, 0] },
  // RFC 7606 3: a repeated attribute keeps the first
  { name: "ORIGIN twice", hex: update(`${ORIGIN} ${attr(0x40, 1, "02")} ${AS_PATH} ${NEXT_HOP}`), errors: [["repeatedAttribute", DISCARD]], counts: [1, 0, 0] },
  { name: "an unknown optional attribute twice", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0xc0, 99, "")} ${attr(0xc0, 99, "")}`), errors: [["repeatedAttribute", DISCARD]], counts: [1, 0, 0] },
  // RFC 7606 7: per attribute
  { name: "ORIGIN of length 2", hex: update(`${attr(0x40, 1, "0000")} ${AS_PATH} ${NEXT_HOP}`), errors: [["malformedOrigin", TAW]], counts: [0, 1, 0] },
  { name: "ORIGIN value 3", hex: update(`${attr(0x40, 1, "03")} ${AS_PATH} ${NEXT_HOP}`), errors: [["malformedOrigin", TAW]], counts: [0, 1, 0] },
  { name: "AS_PATH segment type 5", hex: update(`${ORIGIN} ${attr(0x40, 2, "05 01 0000fde9")} ${NEXT_HOP}`), errors: [["malformedAsPath", TAW]], counts: [0, 1, 0] },
  { name: "AS_PATH segment of zero ASNs", hex: update(`${ORIGIN} ${attr(0x40, 2, "02 00")} ${NEXT_HOP}`), errors: [["malformedAsPath", TAW]], counts: [0, 1, 0] },
  { name: "AS_PATH segment count overruns the attribute", hex: update(`${ORIGIN} ${attr(0x40, 2, "02 02 0000fde9")} ${NEXT_HOP}`), errors: [["malformedAsPath", TAW]], counts: [0, 1, 0] },
  { name: "AS_PATH segment header cut in half", hex: update(`${ORIGIN} ${attr(0x40, 2, "02 01 0000fde9 02")} ${NEXT_HOP}`), errors: [["malformedAsPath", TAW]], counts: [0, 1, 0] },
  { name: "NEXT_HOP of length 5", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x40, 3, "c612000101")}`), errors: [["invalidNextHop", TAW]], counts: [0, 1, 0] },
  { name: "NEXT_HOP 0.0.0.0", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x40, 3, "00000000")}`), errors: [["invalidNextHop", TAW]], counts: [0, 1, 0] },
  { name: "NEXT_HOP 127.0.0.1", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x40, 3, "7f000001")}`), errors: [["invalidNextHop", TAW]], counts: [0, 1, 0] },
  { name: "NEXT_HOP multicast 224.0.0.5", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x40, 3, "e0000005")}`), errors: [["invalidNextHop", TAW]], counts: [0, 1, 0] },
  { name: "MULTI_EXIT_DISC of length 2", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x80, 4, "0001")}`), errors: [["malformedMed", TAW]], counts: [0, 1, 0] },
  { name: "LOCAL_PREF of length 3 from an internal peer", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x40, 5, "000064")}`), errors: [["malformedLocalPref", TAW]], counts: [0, 1, 0] },
  { name: "LOCAL_PREF of length 3 from an external peer is dropped", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x40, 5, "000064")}`), errors: [["malformedLocalPref", DISCARD]], counts: [1, 0, 0], opts: { fourOctetAs: true, external: true } },
  { name: "ATOMIC_AGGREGATE with a value", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x40, 6, "00")}`), errors: [["malformedAtomicAggregate", DISCARD]], counts: [1, 0, 0] },
  { name: "AGGREGATOR of 2-octet size on a 4-octet session", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0xc0, 7, "fde9 c6120001")}`), errors: [["malformedAggregator", DISCARD]], counts: [1, 0, 0] },
  { name: "COMMUNITIES of length 5", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0xc0, 8, "fde8006400")}`), errors: [["malformedCommunities", TAW]], counts: [0, 1, 0] },
  { name: "COMMUNITIES of length 0", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0xc0, 8, "")}`), errors: [["malformedCommunities", TAW]], counts: [0, 1, 0] },
  { name: "LARGE_COMMUNITIES of length 8", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0xc0, 32, "0000fde900000001")}`), errors: [["malformedLargeCommunities", TAW]], counts: [0, 1, 0] },
  { name: "AS4_AGGREGATOR of length 6", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0xc0, 18, "fde9 c6120001")}`), errors: [["malformedAs4Aggregator", DISCARD]], counts: [1, 0, 0] },
  // RFC 4760 7 / RFC 7606 7.11, 5.3: an MP attribute of a family we speak that does not parse disables the family
  { name: "MP_REACH_NLRI IPv6 next hop of length 8", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V6("00", "20010db800000000", "08"))}`, ""), errors: [["malformedMpReach", DISABLE]], counts: [0, 0, 0] },
  { name: "MP_REACH_NLRI cut inside the next hop", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, "0002 01 10 20010db8")}`, ""), errors: [["malformedMpReach", DISABLE]], counts: [0, 0, 0] },
  { name: "MP_REACH_NLRI IPv6 prefix length 129", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V6(`81 ${"00".repeat(17)}`))}`, ""), errors: [["malformedMpReach", DISABLE]], counts: [0, 0, 0] },
  { name: "MP_UNREACH_NLRI IPv6 prefix cut short", hex: update(attr(0x80, 15, "0002 01 40 20010db8"), ""), errors: [["malformedMpUnreach", DISABLE]], counts: [0, 0, 0] },
  { name: "an IPv6 MP error leaves the IPv4 routes of the same UPDATE counted", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x80, 14, MP_V6("00", "20010db800000000", "08"))}`), errors: [["malformedMpReach", DISABLE]], counts: [1, 0, 0] },
  // Issue 10 item 6: IPv4 routes with an IPv6 next hop, extended next hop (RFC 8950) not offered
  { name: "IPv4 routes with an IPv6 next hop, extended next hop not offered", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V4_V6HOP)}`, ""), errors: [["ipv6NextHopWithoutExtendedNextHop", DISABLE]], counts: [0, 0, 1] },
  { name: "the same with classic IPv4 NLRI beside it: every IPv4 route is ignored", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x80, 14, MP_V4_V6HOP)}`), errors: [["ipv6NextHopWithoutExtendedNextHop", DISABLE]], counts: [0, 0, 2] },
  { name: "IPv4 routes with an IPv6 next hop, extended next hop offered", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V4_V6HOP)}`, ""), errors: [], counts: [1, 0, 0], opts: { fourOctetAs: true, extendedNextHop: true } },
  // RFC 7606 3: several errors, the strongest wins
  { name: "a discard and a treat-as-withdraw: withdrawn", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x40, 6, "00")} ${attr(0x80, 4, "01")}`), errors: [["malformedAtomicAggregate", DISCARD], ["malformedMed", TAW]], counts: [0, 1, 0] },
];

const familiesDisabledBy = (m: UpdateMessage): Set<string> =>
  new Set((m.errors ?? []).filter((e) => e.handling === DISABLE).map((e) => `${e.afi}/${e.safi}`));

describe("RFC 7606: malformed UPDATEs that do not reset the session", () => {
  it.each(outcomes)("$name", ({ hex: h, errors, counts, opts }) => {
    const m = decode(hex(h), 0, opts).value;
    expect(m.type).toBe("update");
    const u = m as UpdateMessage;
    expect((u.errors ?? []).map((e) => [e.kind, e.handling])).toEqual(errors);
    for (const e of u.errors ?? []) {
      expect(e.detail.length).toBeGreaterThan(0);
      expect(e.offset).toBeGreaterThanOrEqual(19);
      expect(e.offset).toBeLessThan(hex(h).length);
    }
    const c = routeCounts(u, familiesDisabledBy(u));
    expect([c.announced, c.withdrawn, c.ignored]).toEqual(counts);
  });

  it("a repeated attribute keeps the first value", () => {
    const m = decode(hex(update(`${ORIGIN} ${attr(0x40, 1, "02")} ${AS_PATH} ${NEXT_HOP}`))).value as UpdateMessage;
    expect(m.attributes.origin).toBe("igp");
  });

  it("an UPDATE whose only attribute was a broken MP_UNREACH_NLRI is not an End-of-RIB", () => {
    const m = decode(hex(update(attr(0x80, 15, "0002 01 40 20010db8"), ""))).value as UpdateMessage;
    expect(m.attributes).toEqual({});
    expect(endOfRibAfi(m)).toBeUndefined();
  });

  it("a discarded attribute is gone, the others stay", () => {
    const m = decode(hex(update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0xc0, 7, "fde9 c6120001")} ${attr(0xc0, 8, "fde80064")}`))).value as UpdateMessage;
    expect(m.attributes).toEqual({ origin: "igp", asPath: [{ type: "sequence", asns: [65001] }], nextHop: "198.18.0.1", communities: ["65000:100"] });
  });
});

describe("RFC 8950 extended next hop", () => {
  const EXT: MessageOptions = { fourOctetAs: true, extendedNextHop: true };
  const golden: UpdateMessage = {
    type: "update", withdrawn: [], nlri: [],
    attributes: { origin: "igp", asPath: [{ type: "sequence", asns: [65001] }], mpReach: { afi: 1, safi: 1, nextHop: "2001:db8::1", nlri: ["198.18.0.201/32"] } },
  };
  const goldenHex = update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V4_V6HOP)}`, "");

  it("an IPv4 route with an IPv6 next hop: golden both ways", () => {
    expect(decode(hex(goldenHex), 0, EXT).value).toEqual(golden);
    expect(toHex(encode(golden, EXT))).toBe(goldenHex.replace(/\s+/g, ""));
  });

  it("with a link-local next hop too (length 32) it round-trips", () => {
    const m: UpdateMessage = { ...golden, attributes: { ...golden.attributes, mpReach: { afi: 1, safi: 1, nextHop: "2001:db8::1", linkLocalNextHop: "fe80::1", nlri: ["198.18.0.0/24"] } } };
    expect(decode(encode(m, EXT), 0, EXT).value).toEqual(m);
  });

  it("the capability (code 5) round-trips, and is offered only on sessions configured for it that carry IPv4", () => {
    const cap: Capability = { kind: "extendedNextHop", families: [{ afi: 1, safi: 1, nextHopAfi: 2 }] };
    const open: BgpMessage = { type: "open", asn: 64512, holdTime: 90, bgpId: "198.18.0.10", capabilities: [cap] };
    expect(toHex(encode(open))).toContain("0208" + "0506" + "0001" + "0001" + "0002");
    expect(decode(encode(open)).value).toEqual(open);
    const has = (c: Partial<SessionConfig>): boolean => localOpen({ ...CONFIG, ...c }).capabilities.some((x) => x.kind === "extendedNextHop");
    expect(has({ extendedNextHop: true })).toBe(true);
    expect(has({ extendedNextHop: true, families: { ipv4: false, ipv6: true } })).toBe(false);
    expect(has({})).toBe(false);
  });
});

describe("RFC 7606 property", () => {
  it("an UPDATE with an arbitrary attribute section decodes (errors with a handling) or throws BgpDecodeError", () => {
    const handlings = new Set<string>([TAW, DISCARD, DISABLE]);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), fc.boolean(), fc.boolean(), (attrs, withNlri, external) => {
        const bytes = hex(update(toHex(attrs), withNlri ? NLRI : ""));
        try {
          const m = decode(bytes, 0, { fourOctetAs: true, external }).value as UpdateMessage;
          for (const e of m.errors ?? []) expect(handlings.has(e.handling)).toBe(true);
        } catch (err) {
          if (!(err instanceof BgpDecodeError)) throw err;
        }
      }),
      { numRuns: 5000 },
    );
  });
});

// --- the session and the peer: a malformed UPDATE never resets the session ------------------------------------------

const CONFIG: SessionConfig = {
  localAsn: 64512, peerAsn: 64513, routerId: "198.18.0.10", timers: deriveTimers({}), connectTimeoutMs: 10_000,
  families: { ipv4: true, ipv6: true }, stableAfterMs: 30_000,
};
const PEER_OPEN: SessionInput = {
  type: "message",
  message: { type: "open", asn: 64513, holdTime: 90, bgpId: "198.18.0.1", capabilities: [
    { kind: "multiprotocol", afi: 1, safi: 1 }, { kind: "multiprotocol", afi: 2, safi: 1 }, { kind: "routeRefresh" }, { kind: "fourOctetAs", asn: 64513 },
  ] },
};
const KA: SessionInput = { type: "message", message: { type: "keepalive" } };

function establishedSession(config: Partial<SessionConfig> = {}): SessionState {
  let s = initialSession({ ...CONFIG, ...config });
  for (const [at, input] of [[0, { type: "start" }], [5, { type: "tcpConnected" }], [10, PEER_OPEN], [20, KA]] as Array<[number, SessionInput]>) {
    s = stepSession(s, input, at).state;
  }
  expect(s.state).toBe("established");
  return s;
}

/** Decodes `h` as the session would (its message options) and steps the session with it. */
function receive(s: SessionState, h: string, at: number): { state: SessionState; actions: readonly SessionAction[] } {
  return stepSession(s, { type: "message", message: decode(hex(h), 0, messageOptions(s)).value }, at);
}

const reports = (actions: readonly SessionAction[]): string[] => actions.flatMap((a) => (a.type === "updateError" ? [a.error.kind] : []));
const resets = (actions: readonly SessionAction[]): SessionAction[] => actions.filter((a) => a.type === "close" || a.type === "down" || (a.type === "send" && a.message.type === "notification"));

describe("RFC 7606 in the session FSM", () => {
  it("every malformed case keeps the session Established, counts it by kind and reports each kind once", () => {
    let s = establishedSession();
    const seen: string[] = [];
    let at = 100;
    for (const round of [1, 2]) {
      for (const c of outcomes.filter((o) => o.opts === undefined)) {
        const r = receive(s, c.hex, at++);
        expect(resets(r.actions), `${c.name} (round ${round})`).toEqual([]);
        expect(r.state.state).toBe("established");
        seen.push(...reports(r.actions));
        s = r.state;
      }
    }
    const kinds = [...new Set(outcomes.filter((o) => o.opts === undefined).flatMap((o) => o.errors.map(([k]) => k)))];
    expect([...seen].sort()).toEqual([...kinds].sort()); // once per kind, although every case came twice
    expect(s.counters.updateErrors.malformedOrigin).toBe(4); // two cases, two rounds
    expect(s.counters.updateErrors.ipv6NextHopWithoutExtendedNextHop).toBe(4);
    expect(s.counters.notificationsSent).toBe(0);
    expect(s.disabledFamilies).toEqual(["1/1", "2/1"]);
  });

  it("IPv4 routes with an IPv6 next hop disable IPv4 unicast for the session: later IPv4 routes are ignored, IPv6 still counted", () => {
    let s = establishedSession();
    s = receive(s, update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V4_V6HOP)}`, ""), 100).state;
    for (let i = 0; i < 8; i++) s = receive(s, update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V4_V6HOP)}`, ""), 101 + i).state;
    s = receive(s, update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP}`), 200).state;
    s = receive(s, update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V6("40 20010db800010000"))}`, ""), 201).state;
    expect(s.state).toBe("established");
    expect(s.counters).toMatchObject({ prefixesAnnounced: 1, prefixesIgnored: 10, notificationsSent: 0, updateErrors: { ipv6NextHopWithoutExtendedNextHop: 9 } });
    expect(s.disabledFamilies).toEqual(["1/1"]);
  });

  it("with extended next hop configured the same routes are accepted and counted", () => {
    let s = establishedSession({ extendedNextHop: true });
    const r = receive(s, update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V4_V6HOP)}`, ""), 100);
    s = r.state;
    expect(reports(r.actions)).toEqual([]);
    expect(s.counters).toMatchObject({ prefixesAnnounced: 1, prefixesIgnored: 0, updateErrors: {} });
  });

  it("a new session reports each kind again and forgets disabled families; the counters keep adding up", () => {
    let s = establishedSession();
    s = receive(s, update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V4_V6HOP)}`, ""), 100).state;
    s = stepSession(s, { type: "tcpClosed" }, 200).state;
    for (const [at, input] of [[1300, { type: "tick" }], [1305, { type: "tcpConnected" }], [1310, PEER_OPEN], [1320, KA]] as Array<[number, SessionInput]>) {
      s = stepSession(s, input, at).state;
    }
    expect(s.state).toBe("established");
    expect(s.disabledFamilies).toBeUndefined();
    const r = receive(s, update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V4_V6HOP)}`, ""), 1400);
    expect(reports(r.actions)).toEqual(["ipv6NextHopWithoutExtendedNextHop"]);
    expect(r.state.counters.updateErrors.ipv6NextHopWithoutExtendedNextHop).toBe(2);
  });
});

describe("RFC 7606 at the peer: what we advertise is untouched", () => {
  it("a malformed attribute from the router neither resets the session nor withdraws our routes", () => {
    const routes = desiredRoutes([["198.18.100.1/32", {}], ["198.18.100.2/32", {}]]);
    let p: PeerState = initialPeer({ session: CONFIG }, routes);
    const step = (input: PeerInput, at: number): readonly SessionAction[] => {
      const r = stepPeer(p, input, at);
      p = r.state;
      return r.actions;
    };
    for (const [at, input] of [[0, { type: "start" }], [5, { type: "tcpConnected", localAddress: "198.18.0.10" }], [10, PEER_OPEN], [20, KA]] as Array<[number, PeerInput]>) step(input, at);
    expect(p.ribOut.sent.size).toBe(2);
    for (const [i, c] of outcomes.entries()) {
      const actions = step({ type: "message", message: decode(hex(c.hex), 0, messageOptions(p.session)).value }, 100 + i);
      expect(actions.filter((a) => a.type === "send" || a.type === "close" || a.type === "down"), c.name).toEqual([]);
    }
    expect(p.session.state).toBe("established");
    expect([...p.ribOut.sent.keys()]).toEqual(["198.18.100.1/32", "198.18.100.2/32"]);
  });
});
