// Adj-RIB-Out: packing, the 4096-octet split, withdrawals, no-op when unchanged, per-session attributes, and the
// property that the UPDATEs produced, encoded and decoded by a receiver starting empty, reproduce the desired set.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  EMPTY_RIB_OUT,
  desiredRoutes,
  endOfRibMarkers,
  forgetFamily,
  pathAttributesFor,
  planUpdates,
  withGracefulShutdown,
  type AdjRibOut,
  type DesiredRoutes,
  type PeerContext,
  type RouteAttributes,
} from "../../src/protocols/bgp/adjRibOut.js";
import type { PathAttributes } from "../../src/protocols/bgp/attributes.js";
import { decode, encode } from "../../src/protocols/bgp/update.js";
import type { UpdateMessage } from "../../src/protocols/bgp/update.js";
import { prefixFamily } from "../../src/protocols/bgp/prefix.js";
import { communityArb, largeCommunityArb } from "../support/bgp.js";

const EBGP: PeerContext = {
  localAsn: 64512,
  ibgp: false,
  fourOctetAs: true,
  families: { ipv4: true, ipv6: true },
  nextHopV4: "198.18.0.10",
  nextHopV6: "2001:db8::10",
};
const IBGP: PeerContext = { ...EBGP, ibgp: true };

const v4 = (i: number): string => `198.${18 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}/32`;
const v6 = (i: number): string => `2001:db8::${i.toString(16)}/128`;
const routes = (prefixes: string[], attrs: RouteAttributes = {}): Map<string, RouteAttributes> => new Map(prefixes.map((p) => [p, attrs]));
const range = (n: number, from = 1): number[] => Array.from({ length: n }, (_, i) => i + from);
const sizes = (updates: readonly UpdateMessage[], fourOctetAs = true): number[] => updates.map((u) => encode(u, { fourOctetAs }).length);

/** A receiver's Adj-RIB-In: prefix -> the attributes it was announced with (MP NLRI lists emptied). */
function applyAll(rib: Map<string, PathAttributes>, updates: readonly UpdateMessage[], fourOctetAs = true): void {
  for (const sentUpdate of updates) {
    const bytes = encode(sentUpdate, { fourOctetAs });
    expect(bytes.length).toBeLessThanOrEqual(4096);
    const u = decode(bytes, 0, { fourOctetAs }).value;
    for (const p of [...u.withdrawn, ...(u.attributes.mpUnreach?.withdrawn ?? [])]) rib.delete(p);
    const { mpReach, mpUnreach: _u, ...common } = u.attributes;
    for (const p of u.nlri) rib.set(p, common);
    if (mpReach !== undefined) for (const p of mpReach.nlri) rib.set(p, { ...common, mpReach: { ...mpReach, nlri: [] } });
  }
}

function expectedRib(desired: DesiredRoutes, ctx: PeerContext): Map<string, PathAttributes> {
  const out = new Map<string, PathAttributes>();
  for (const [p, r] of desired) {
    const a = pathAttributesFor(r, prefixFamily(p), ctx);
    if (a !== undefined) out.set(p, a);
  }
  return out;
}

describe("Adj-RIB-Out packing", () => {
  it("packs prefixes with identical attributes into one UPDATE, one UPDATE per attribute set", () => {
    const desired = new Map([
      ...routes([v4(1), v4(2), v4(3)], { communities: ["65000:1"] }),
      ...routes([v4(4), v4(5)], { communities: ["65000:2"] }),
    ]);
    const plan = planUpdates(EMPTY_RIB_OUT, desired, EBGP);
    expect(plan.updates.map((u) => u.nlri)).toEqual([[v4(1), v4(2), v4(3)], [v4(4), v4(5)]]);
    expect(plan.updates[0]!.attributes).toEqual({ origin: "igp", asPath: [{ type: "sequence", asns: [64512] }], nextHop: "198.18.0.10", communities: ["65000:1"] });
  });

  it("splits 10,000 IPv4 /32s into full UPDATEs of at most 4096 octets", () => {
    const prefixes = range(10_000).map(v4);
    const plan = planUpdates(EMPTY_RIB_OUT, routes(prefixes), EBGP);
    const s = sizes(plan.updates);
    expect(Math.max(...s)).toBeLessThanOrEqual(4096);
    expect(plan.updates.flatMap((u) => u.nlri)).toEqual(prefixes);
    // 23 octets of UPDATE framing + 20 of attributes (ORIGIN 4, AS_PATH 9, NEXT_HOP 7) leave 4053: 810 prefixes of 5.
    expect(plan.updates[0]!.nlri).toHaveLength(810);
    expect(s[0]).toBe(23 + 20 + 810 * 5);
    expect(plan.updates).toHaveLength(Math.ceil(10_000 / 810));
  });

  it("splits IPv6 announcements in MP_REACH_NLRI at 4096 octets, using the Extended Length flag", () => {
    const prefixes = range(1000).map(v6);
    const plan = planUpdates(EMPTY_RIB_OUT, routes(prefixes), EBGP);
    const s = sizes(plan.updates);
    expect(Math.max(...s)).toBeLessThanOrEqual(4096);
    expect(s[0]).toBeGreaterThan(4096 - 17);
    expect(plan.updates.flatMap((u) => u.attributes.mpReach?.nlri ?? [])).toEqual(prefixes);
    expect(plan.updates.every((u) => u.nlri.length === 0 && u.attributes.nextHop === undefined)).toBe(true);
  });

  it("withdraws removed prefixes, IPv4 in the classic field and IPv6 in MP_UNREACH_NLRI, split at 4096", () => {
    const all = new Map([...routes(range(3000).map(v4)), ...routes(range(600).map(v6))]);
    const first = planUpdates(EMPTY_RIB_OUT, all, EBGP);
    const second = planUpdates(first.ribOut, new Map(), EBGP);
    expect(second.updates.every((u) => u.nlri.length === 0 && u.attributes.mpReach === undefined)).toBe(true);
    expect(second.updates.flatMap((u) => u.withdrawn)).toHaveLength(3000);
    expect(second.updates.flatMap((u) => u.attributes.mpUnreach?.withdrawn ?? [])).toHaveLength(600);
    expect(Math.max(...sizes(second.updates))).toBeLessThanOrEqual(4096);
    expect(second.updates.length).toBeLessThan(10);
    expect(second.ribOut.sent.size).toBe(0);
  });

  it("sends nothing when nothing changed", () => {
    const desired = routes([v4(1), v6(1)], { communities: ["65000:1"] });
    const first = planUpdates(EMPTY_RIB_OUT, desired, EBGP);
    expect(planUpdates(first.ribOut, desiredRoutes([...desired]), EBGP).updates).toEqual([]);
  });

  it("re-announces only the routes whose attributes changed, without withdrawing them", () => {
    const first = planUpdates(EMPTY_RIB_OUT, routes([v4(1), v4(2), v4(3)]), EBGP);
    const changed = new Map([...routes([v4(1), v4(3)]), ...routes([v4(2)], { largeCommunities: ["64512:1:2"] })]);
    const second = planUpdates(first.ribOut, changed, EBGP);
    expect(second.updates).toEqual([
      { type: "update", withdrawn: [], nlri: [v4(2)], attributes: { origin: "igp", asPath: [{ type: "sequence", asns: [64512] }], nextHop: "198.18.0.10", largeCommunities: ["64512:1:2"] } },
    ]);
  });

  it("adds one new VIP with a single small UPDATE", () => {
    const first = planUpdates(EMPTY_RIB_OUT, routes(range(5000).map(v4)), EBGP);
    const next = planUpdates(first.ribOut, routes(range(5001).map(v4)), EBGP);
    expect(next.updates.map((u) => u.nlri)).toEqual([[v4(5001)]]);
  });
});

describe("Adj-RIB-Out attributes per session", () => {
  const route: RouteAttributes = { communities: ["65000:2", "65000:1", "65000:1"], largeCommunities: ["2:2:2", "1:1:1"], localPref: 200, med: 5 };

  it("eBGP: our ASN in AS_PATH (prepended), no LOCAL_PREF, communities sorted and deduplicated", () => {
    expect(pathAttributesFor(route, 4, { ...EBGP, asPathPrepend: 2 })).toEqual({
      origin: "igp", asPath: [{ type: "sequence", asns: [64512, 64512, 64512] }], nextHop: "198.18.0.10", med: 5,
      communities: ["65000:1", "65000:2"], largeCommunities: ["1:1:1", "2:2:2"],
    });
  });

  it("iBGP: empty AS_PATH and LOCAL_PREF (100 unless configured)", () => {
    expect(pathAttributesFor({}, 4, IBGP)).toEqual({ origin: "igp", asPath: [], nextHop: "198.18.0.10", localPref: 100 });
    expect(pathAttributesFor({ localPref: 250 }, 4, IBGP)?.localPref).toBe(250);
  });

  it("IPv6: MP_REACH_NLRI with the global and link-local next hops", () => {
    expect(pathAttributesFor({}, 6, { ...EBGP, linkLocalNextHopV6: "fe80::10" })?.mpReach).toEqual({ afi: 2, safi: 1, nextHop: "2001:db8::10", linkLocalNextHop: "fe80::10", nlri: [] });
  });

  it("a peer without 4-octet AS support gets AS_TRANS and the real path in AS4_PATH", () => {
    const ctx = { ...EBGP, localAsn: 4200000001, fourOctetAs: false };
    const a = pathAttributesFor({}, 4, ctx);
    expect(a?.asPath).toEqual([{ type: "sequence", asns: [23456] }]);
    expect(a?.as4Path).toEqual([{ type: "sequence", asns: [4200000001] }]);
    const plan = planUpdates(EMPTY_RIB_OUT, routes([v4(1)]), ctx);
    expect(decode(encode(plan.updates[0]!, { fourOctetAs: false }), 0, { fourOctetAs: false }).value).toEqual(plan.updates[0]);
  });

  it("prefixes of a family the session lacks, or without a next hop, are unsendable and withdrawn if they were sent", () => {
    const v4Only = { ...EBGP, families: { ipv4: true, ipv6: false } };
    const plan = planUpdates(EMPTY_RIB_OUT, routes([v4(1), v6(1)]), v4Only);
    expect(plan.unsendable).toEqual([v6(1)]);
    const { nextHopV4: _n, ...noV4NextHop } = EBGP;
    const first = planUpdates(EMPTY_RIB_OUT, routes([v4(1), v6(1)]), EBGP);
    const second = planUpdates(first.ribOut, routes([v4(1), v6(1)]), noV4NextHop);
    expect(second.unsendable).toEqual([v4(1)]);
    expect(second.updates).toEqual([{ type: "update", withdrawn: [v4(1)], attributes: {}, nlri: [] }]);
  });

  it("End-of-RIB for each family of the session", () => {
    expect(endOfRibMarkers(EBGP).map((u) => encode(u).length)).toEqual([23, 29]);
    expect(endOfRibMarkers({ ...EBGP, families: { ipv4: false, ipv6: true } })).toHaveLength(1);
  });

  it("graceful shutdown re-announces every route with GRACEFUL_SHUTDOWN (and LOCAL_PREF 0 for iBGP), withdrawing nothing", () => {
    const desired = routes([v4(1), v4(2), v6(1)], { communities: ["65000:1"], localPref: 300 });
    const first = planUpdates(EMPTY_RIB_OUT, desired, IBGP);
    const gshut = planUpdates(first.ribOut, withGracefulShutdown(desired), IBGP);
    expect(gshut.updates.flatMap((u) => u.withdrawn)).toEqual([]);
    expect(gshut.updates.flatMap((u) => [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])]).sort()).toEqual([v4(1), v4(2), v6(1)].sort());
    for (const u of gshut.updates) {
      expect(u.attributes.communities).toEqual(["65000:1", "65535:0"]);
      expect(u.attributes.localPref).toBe(0);
    }
  });

  it("a ROUTE-REFRESH for one family re-announces that family only", () => {
    const first = planUpdates(EMPTY_RIB_OUT, routes([v4(1), v6(1)]), EBGP);
    const again = planUpdates(forgetFamily(first.ribOut, 6), routes([v4(1), v6(1)]), EBGP);
    expect(again.updates).toHaveLength(1);
    expect(again.updates[0]!.attributes.mpReach?.nlri).toEqual([v6(1)]);
  });

  it.each([
    { name: "a bad prefix", entry: ["198.18.0.300/32", {}] as const },
    { name: "a bad community", entry: ["198.18.0.1/32", { communities: ["65536:1"] }] as const },
    { name: "a bad large community", entry: ["198.18.0.1/32", { largeCommunities: ["1:2"] }] as const },
    { name: "a negative LOCAL_PREF", entry: ["198.18.0.1/32", { localPref: -1 }] as const },
    { name: "a MED above 2^32", entry: ["198.18.0.1/32", { med: 2 ** 32 }] as const },
  ])("desiredRoutes rejects $name at the boundary", ({ entry }) => {
    expect(() => desiredRoutes([entry])).toThrow();
  });

  it("desiredRoutes canonicalises prefixes and communities", () => {
    const d = desiredRoutes([["2001:DB8:0::10/128", { communities: ["NO_EXPORT", "65000:1"] }], ["198.18.0.77/24", {}]]);
    expect([...d.keys()]).toEqual(["2001:db8::10/128", "198.18.0.0/24"]);
    expect(d.get("2001:db8::10/128")?.communities).toEqual(["65000:1", "65535:65281"]);
  });
});

const routeAttrsArb: fc.Arbitrary<RouteAttributes> = fc.record(
  {
    communities: fc.array(communityArb, { maxLength: 4 }),
    largeCommunities: fc.array(largeCommunityArb, { maxLength: 2 }),
    localPref: fc.integer({ min: 0, max: 1000 }),
    med: fc.integer({ min: 0, max: 1000 }),
  },
  { requiredKeys: [] },
);
// A small pool of attribute sets so many prefixes share them (packing) and changes move prefixes between sets.
const desiredArb: fc.Arbitrary<Map<string, RouteAttributes>> = fc
  .tuple(fc.array(routeAttrsArb, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(fc.integer({ min: 1, max: 3000 }), fc.boolean(), fc.nat()), { maxLength: 1500 }))
  .map(([pool, entries]) => desiredRoutes(entries.map(([i, isV6, a]) => [isV6 ? v6(i) : v4(i), pool[a % pool.length]!] as const)));

describe("Adj-RIB-Out property", () => {
  it.each([
    ["eBGP", EBGP],
    ["iBGP", IBGP],
    ["eBGP to a 2-octet-AS peer", { ...EBGP, localAsn: 4200000001, fourOctetAs: false }],
  ] as const)("applying the produced UPDATEs to an empty receiver reproduces every desired set in turn (%s)", (_name, ctx) => {
    fc.assert(
      fc.property(fc.array(desiredArb, { minLength: 1, maxLength: 4 }), (sequence) => {
        const receiver = new Map<string, PathAttributes>();
        let ribOut: AdjRibOut = EMPTY_RIB_OUT;
        for (const desired of sequence) {
          const plan = planUpdates(ribOut, desired, ctx);
          applyAll(receiver, plan.updates, ctx.fourOctetAs);
          expect(receiver).toEqual(expectedRib(desired, ctx));
          ribOut = plan.ribOut;
          expect(planUpdates(ribOut, desired, ctx).updates).toEqual([]);
        }
      }),
      { numRuns: 60 },
    );
  });
});
