import { anySelectorMatches } from "../../config/selectors.js";
import type { BgpAdvertisementConfig } from "../../config/types.js";
import { aggregatePrefix } from "../bgp/aggregate.js";
import { bgpPlanFor, hasLocalEndpoint, type BgpPlan } from "../bgp/bgpPlan.js";
import { advertisesPool } from "../../config/advertisesPool.js";
import type { LogState } from "../logState.js";
import type { MembershipState } from "../membership.js";
import { vipCatalog, type VipEntry } from "../vipCatalog.js";
import type { PeerBfdStatus } from "./peerBfdStatus.js";
import { nodeServiceStatus, type NodeServiceStatus } from "./nodeStatus.js";

// Which ServiceBGPStatus objects a node should have (pure): one per Service whose VIP the node advertises to at least
// one BGPPeer, listing those peers by name. It reads the plan the speaker's BGP announcer sends (bgpPlanFor): a VIP
// is listed for a peer only when the peer's routes carry the prefix an advertisement selecting the VIP makes of it,
// so a node that may not advertise (not ready, excluded, leaving) has none, and a peer an advertisement does not
// name or whose family does not match is not listed, nor a dual-stack peer the node has no next hop of the VIP's
// family for (the announcer holds those routes back).
//
// Peers are listed by configuration, whatever the state of their session (as MetalLB does): the status says where
// the node is configured to advertise the Service, not which routers have it right now. The BFD state of peers that
// name a BFDProfile is a vipmesh addition (`bfd`): a BFD session going up or down rewrites the status of every
// Service the node advertises to that peer.

export type BgpStatusWanted = NodeServiceStatus & { peers: string[] };

export function wantedBgpStatuses(log: LogState, members: MembershipState, node: string, plan: BgpPlan = bgpPlanFor(node, log, members)): Map<string, BgpStatusWanted> {
  const wanted = new Map<string, BgpStatusWanted>();
  const config = log.config?.config;
  if (!config?.bgp || ![...plan.values()].some((p) => p.routes.size > 0)) return wanted;
  const labels = config.nodes.find((n) => n.name === node)?.labels ?? {};
  const ads = config.bgp.advertisements.filter((ad) => anySelectorMatches(ad.nodeSelectors, labels));
  for (const entry of vipCatalog(log)) {
    const peers = peersOf(entry, ads, plan, node);
    if (peers.length === 0) continue;
    for (const service of entry.services) {
      const base = nodeServiceStatus("bgp", node, service);
      const had = wanted.get(base.name);
      wanted.set(base.name, { ...base, peers: had ? [...new Set([...had.peers, ...peers])].sort() : peers });
    }
  }
  return wanted;
}

/** The peers the plan sends this VIP to, in name order. */
function peersOf(entry: VipEntry, ads: readonly BgpAdvertisementConfig[], plan: BgpPlan, node: string): string[] {
  const pool = entry.pool;
  // The rules bgpPlanFor applies per VIP, which a route's presence alone cannot tell when prefixes are aggregated.
  if (!pool || !hasLocalEndpoint(entry.services, node)) return [];
  const peers = new Set<string>();
  for (const ad of ads) {
    if (!advertisesPool(ad, pool) || !entry.services.some((s) => anySelectorMatches(ad.serviceSelectors, s.labels))) continue;
    const prefix = aggregatePrefix(entry.ip, entry.ip.family === 4 ? ad.aggregationLength : ad.aggregationLengthV6);
    for (const [name, { routes, otherFamily }] of plan) {
      const heldBack = otherFamily !== undefined && "problem" in otherFamily && otherFamily.family === entry.ip.family;
      if ((ad.peers.length === 0 || ad.peers.includes(name)) && routes.has(prefix) && !heldBack) peers.add(name);
    }
  }
  return [...peers].sort();
}

/**
 * The status object's body. With `bfd` (the speaker's live BFD state, bfdStatus.ts) it also lists, for each listed
 * peer paired with BFD, the session's state, why echo mode does not run and whether dampening suppresses it; `bfd: null` (removed by the merge patch)
 * when none is.
 */
export function bgpStatusBody(w: BgpStatusWanted, bfd?: Readonly<Record<string, PeerBfdStatus>>): Record<string, unknown> {
  const body = { node: w.node, serviceName: w.serviceName, serviceNamespace: w.serviceNamespace, peers: w.peers };
  if (bfd === undefined) return body;
  const sessions = w.peers.flatMap((peer) => {
    const b = bfd[peer];
    return b === undefined ? [] : [{ peer, status: b.status, ...(b.echo === undefined ? {} : { echo: b.echo }), ...(b.suppressed ? { suppressed: true } : {}) }];
  });
  return { ...body, bfd: sessions.length > 0 ? sessions : null };
}
