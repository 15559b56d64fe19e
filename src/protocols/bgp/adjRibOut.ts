// Adj-RIB-Out for one peer: the routes we want the peer to hold (desired) against the routes it holds from us (sent),
// and the incremental UPDATEs that take it from one to the other. A change never needs a session reset: changed
// attributes are re-announced (implicit withdraw), removed prefixes are withdrawn, unchanged ones produce nothing.
//
// What a route looks like on the wire depends on the session (PeerContext): eBGP prepends our ASN (plus
// `asPathPrepend` more copies) and sends no LOCAL_PREF; iBGP sends an empty AS_PATH and LOCAL_PREF (default 100);
// a peer without 4-octet AS support gets AS_TRANS and AS4_PATH. Prefixes of a family the session did not negotiate, or
// without a next hop of their family, are not sent (reported in `unsendable`).
import { parseCidr } from "../../net/cidr.js";
import { formatIp, type Family } from "../../net/ip.js";
import type { PathAttributes } from "./attributes.js";
import { asSequence, toTwoOctetPath } from "./asPath.js";
import { GRACEFUL_SHUTDOWN, sortCommunities, sortLargeCommunities } from "./communities.js";
import { Afi, Safi } from "./constants.js";
import { prefixFamily } from "./prefix.js";
import { checkUint } from "./uint.js";
import { endOfRib, type UpdateMessage } from "./update.js";
import { packAnnouncements, packWithdrawals } from "./updatePacker.js";

/** What vipmesh wants to say about one prefix (MetalLB BGPAdvertisement fields). */
export interface RouteAttributes {
  readonly communities?: readonly string[];
  readonly largeCommunities?: readonly string[];
  /** LOCAL_PREF, sent to iBGP peers only (MetalLB: localPref). */
  readonly localPref?: number;
  readonly med?: number;
}

/** Desired routes, keyed by canonical prefix ("198.18.0.10/32", "2001:db8::10/128"). */
export type DesiredRoutes = ReadonlyMap<string, RouteAttributes>;

export interface PeerContext {
  readonly localAsn: number;
  readonly ibgp: boolean;
  readonly fourOctetAs: boolean;
  readonly families: { readonly ipv4: boolean; readonly ipv6: boolean };
  readonly nextHopV4?: string;
  readonly nextHopV6?: string;
  readonly linkLocalNextHopV6?: string;
  /** Extra copies of our ASN in the AS_PATH to eBGP peers. */
  readonly asPathPrepend?: number;
}

/** The peer's view of what we sent: prefix -> key of the attributes it holds. */
export interface AdjRibOut {
  readonly sent: ReadonlyMap<string, string>;
}

export const EMPTY_RIB_OUT: AdjRibOut = { sent: new Map() };

export interface Plan {
  readonly updates: readonly UpdateMessage[];
  readonly ribOut: AdjRibOut;
  /** Desired prefixes that cannot be sent on this session (family not negotiated or no next hop). */
  readonly unsendable: readonly string[];
}

export const DEFAULT_LOCAL_PREF = 100;

/**
 * Desired routes from a list, validated once at the boundary: prefixes and communities in canonical form, LOCAL_PREF
 * and MED 32-bit. Throws IpParseError or EncodeError naming the bad field; a plan from its result always encodes.
 */
export function desiredRoutes(entries: Iterable<readonly [string, RouteAttributes]>): Map<string, RouteAttributes> {
  const out = new Map<string, RouteAttributes>();
  for (const [prefix, attrs] of entries) {
    const c = parseCidr(prefix);
    if (attrs.localPref !== undefined) checkUint(attrs.localPref, 0xffffffff, `${prefix}.localPref`);
    if (attrs.med !== undefined) checkUint(attrs.med, 0xffffffff, `${prefix}.med`);
    const canonical: { -readonly [K in keyof RouteAttributes]: RouteAttributes[K] } = { ...attrs };
    if (attrs.communities !== undefined) canonical.communities = sortCommunities(attrs.communities);
    if (attrs.largeCommunities !== undefined) canonical.largeCommunities = sortLargeCommunities(attrs.largeCommunities);
    out.set(`${formatIp({ family: c.family, value: c.first })}/${c.prefix}`, canonical);
  }
  return out;
}

/** The path attributes for a route of `family` on this session (IPv6: an MP_REACH_NLRI with no NLRI yet). */
export function pathAttributesFor(route: RouteAttributes, family: Family, ctx: PeerContext): PathAttributes | undefined {
  const nextHop = family === 4 ? ctx.nextHopV4 : ctx.nextHopV6;
  if (nextHop === undefined || !(family === 4 ? ctx.families.ipv4 : ctx.families.ipv6)) return undefined;
  const path = ctx.ibgp ? [] : asSequence(Array<number>(1 + (ctx.asPathPrepend ?? 0)).fill(ctx.localAsn));
  const as = ctx.fourOctetAs ? { asPath: path } : toTwoOctetPath(path);
  const a: { -readonly [K in keyof PathAttributes]: PathAttributes[K] } = { origin: "igp", ...as };
  if (family === 4) a.nextHop = nextHop;
  else {
    const ll = ctx.linkLocalNextHopV6;
    a.mpReach = { afi: Afi.ipv6, safi: Safi.unicast, nextHop, ...(ll === undefined ? {} : { linkLocalNextHop: ll }), nlri: [] };
  }
  if (route.med !== undefined) a.med = route.med;
  if (ctx.ibgp) a.localPref = route.localPref ?? DEFAULT_LOCAL_PREF;
  if (route.communities !== undefined && route.communities.length > 0) a.communities = sortCommunities(route.communities);
  if (route.largeCommunities !== undefined && route.largeCommunities.length > 0) a.largeCommunities = sortLargeCommunities(route.largeCommunities);
  return a;
}

interface Group {
  readonly family: Family;
  readonly attributes: PathAttributes;
  readonly prefixes: string[];
}

/** The UPDATEs that take the peer from `ribOut` to `desired`: withdrawals first, then announcements by group. */
export function planUpdates(ribOut: AdjRibOut, desired: DesiredRoutes, ctx: PeerContext): Plan {
  const sent = new Map(ribOut.sent);
  const unsendable: string[] = [];
  const groups = new Map<string, Group>();
  const keyCache = new Map<RouteAttributes, Partial<Record<Family, { key: string; attributes: PathAttributes } | null>>>();
  const wanted = new Set<string>();
  for (const [prefix, route] of desired) {
    const family = prefixFamily(prefix);
    const cached = keyCache.get(route) ?? {};
    let entry = cached[family];
    if (entry === undefined) {
      const attributes = pathAttributesFor(route, family, ctx);
      entry = attributes === undefined ? null : { key: `${family}|${JSON.stringify(attributes)}`, attributes };
      cached[family] = entry;
      keyCache.set(route, cached);
    }
    if (entry === null) {
      unsendable.push(prefix);
      continue;
    }
    wanted.add(prefix);
    if (sent.get(prefix) === entry.key) continue;
    sent.set(prefix, entry.key);
    const group = groups.get(entry.key) ?? { family, attributes: entry.attributes, prefixes: [] };
    group.prefixes.push(prefix);
    groups.set(entry.key, group);
  }
  const withdrawn: Record<Family, string[]> = { 4: [], 6: [] };
  for (const prefix of ribOut.sent.keys()) {
    if (wanted.has(prefix)) continue;
    withdrawn[prefixFamily(prefix)].push(prefix);
    sent.delete(prefix);
  }
  const opts = { fourOctetAs: ctx.fourOctetAs };
  const updates = [
    ...packWithdrawals(4, withdrawn[4]),
    ...packWithdrawals(6, withdrawn[6]),
    ...[...groups.values()].flatMap((g) => packAnnouncements(g.family, g.attributes, g.prefixes, opts)),
  ];
  return { updates, ribOut: { sent }, unsendable };
}

/** End-of-RIB markers (RFC 4724) for the families of this session, sent after the initial table. */
export function endOfRibMarkers(ctx: PeerContext): UpdateMessage[] {
  return [...(ctx.families.ipv4 ? [endOfRib(Afi.ipv4)] : []), ...(ctx.families.ipv6 ? [endOfRib(Afi.ipv6)] : [])];
}

/** The Adj-RIB-Out with one family forgotten, so the next plan re-announces all of it (answering a ROUTE-REFRESH). */
export function forgetFamily(ribOut: AdjRibOut, family: Family): AdjRibOut {
  return { sent: new Map([...ribOut.sent].filter(([prefix]) => prefixFamily(prefix) !== family)) };
}

/**
 * RFC 8326 graceful shutdown: every route re-announced with the GRACEFUL_SHUTDOWN community, and LOCAL_PREF 0 for
 * iBGP peers, so routers move traffic to other paths before the session goes down. Plan the result as usual.
 */
export function withGracefulShutdown(desired: DesiredRoutes): Map<string, RouteAttributes> {
  const out = new Map<string, RouteAttributes>();
  for (const [prefix, route] of desired) {
    out.set(prefix, { ...route, localPref: 0, communities: sortCommunities([...(route.communities ?? []), GRACEFUL_SHUTDOWN]) });
  }
  return out;
}
