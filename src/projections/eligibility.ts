import { parseCidr, rangeContains, type IpRange } from "../net/cidr.js";
import { anySelectorMatches, selectorMatches } from "../config/selectors.js";
import { EXCLUDE_FROM_LB_LABEL, type ClusterConfig } from "../config/types.js";
import type { InterfaceFact } from "../events/types.js";
import type { MemberRecord } from "./membership.js";
import type { VipEntry } from "./vipCatalog.js";

// Whether a node can answer for a VIP, following MetalLB's meaning of eligibility: an advertisement that
// selects the VIP's pool and the node, no exclusion label, a ready node, a ready endpoint for
// externalTrafficPolicy: Local, and an up interface in the VIP's subnet or, failing that, the interface whose
// route to the VIP is the most specific.

export type Qualification = { ok: true; interface: string } | { ok: false; reason: string };

/** An interface address's subnet, or a route out of the interface (weaker: used only when no subnet matches). */
type Subnet = { iface: InterfaceFact; range: IpRange; prefix: number; route: boolean };
const subnetCache = new WeakMap<InterfaceFact[], Subnet[]>();

function subnetsOf(interfaces: InterfaceFact[]): Subnet[] {
  const hit = subnetCache.get(interfaces);
  if (hit) return hit;
  const subnets: Subnet[] = [];
  for (const iface of interfaces) {
    if (!iface.up || !iface.answerable) continue;
    const add = (cidr: string, route: boolean): void => {
      try {
        const { family, first, last, prefix } = parseCidr(cidr);
        subnets.push({ iface, range: { family, first, last }, prefix, route });
      } catch {
        // A malformed address or route in a heartbeat only makes that entry unusable.
      }
    };
    for (const address of iface.addresses) add(address, false);
    for (const route of iface.routes) add(route, true);
  }
  subnetCache.set(interfaces, subnets);
  return subnets;
}

/** `interfaces` are the member's (nodeFacts.ts: interfacesOf). */
export function qualify(entry: VipEntry, member: MemberRecord, interfaces: InterfaceFact[], config: ClusterConfig): Qualification {
  if (!entry.pool) return { ok: false, reason: "no pool contains the VIP" };
  if (entry.advertisements.length === 0) return { ok: false, reason: `no L2Advertisement selects pool ${entry.pool.name}` };
  const node = config.nodes.find((n) => n.name === member.node);
  const labels = node?.labels ?? {};
  if (Object.hasOwn(labels, EXCLUDE_FROM_LB_LABEL)) return { ok: false, reason: `node has label ${EXCLUDE_FROM_LB_LABEL}` };
  if (!member.ready) return { ok: false, reason: "node is not ready" };
  if (node && !node.ready) return { ok: false, reason: "node condition Ready is not True" };
  if (node?.networkUnavailable) return { ok: false, reason: "node condition NetworkUnavailable is True" };
  const local = entry.services.filter((s) => s.externalTrafficPolicy === "Local");
  if (local.length > 0 && !local.some((s) => s.readyEndpointNodes.includes(member.node))) {
    return { ok: false, reason: "externalTrafficPolicy Local and no ready endpoint on the node" };
  }
  const ads = entry.advertisements.filter((ad) => anySelectorMatches(ad.nodeSelectors, labels));
  if (ads.length === 0) return { ok: false, reason: "no L2Advertisement selects the node" };
  const allowed = (name: string): boolean => ads.some((ad) => ad.interfaces.length === 0 || ad.interfaces.includes(name));
  let viaRoute: Subnet | undefined;
  for (const s of subnetsOf(interfaces)) {
    if (!rangeContains(s.range, entry.ip) || !allowed(s.iface.name)) continue;
    if (!s.route) return { ok: true, interface: s.iface.name };
    if (!viaRoute || s.prefix > viaRoute.prefix || (s.prefix === viaRoute.prefix && s.iface.name < viaRoute.iface.name)) viaRoute = s;
  }
  if (viaRoute) return { ok: true, interface: viaRoute.iface.name };
  return { ok: false, reason: "no usable interface in the VIP's subnet or routing to it" };
}

/**
 * MetalLB's preferredNodeSelectors: each advertisement of the VIP scores the nodes its own nodeSelectors admit with
 * the weights of the preferences they match; the scores add up across advertisements. Used only when a VIP needs a
 * new owner: ownership stays sticky, so a preferred node that returns takes nothing back.
 */
export function preferenceScore(entry: VipEntry, nodeName: string, config: ClusterConfig): number {
  const labels = config.nodes.find((n) => n.name === nodeName)?.labels ?? {};
  let score = 0;
  for (const ad of entry.advertisements) {
    if (ad.preferredNodeSelectors.length === 0 || !anySelectorMatches(ad.nodeSelectors, labels)) continue;
    for (const p of ad.preferredNodeSelectors) if (selectorMatches(p.preference, labels)) score += p.weight;
  }
  return score;
}
