import { interfacesOf } from "../nodeFacts.js";
import { advertisesPool } from "../../config/advertisesPool.js";
import { anySelectorMatches } from "../../config/selectors.js";
import { EXCLUDE_FROM_LB_LABEL, type BfdProfileConfig, type BgpPeerConfig, type ClusterConfig, type ServiceConfig } from "../../config/types.js";
import { familyOfText } from "../../net/ip.js";
import type { RouteAttributes } from "../../protocols/bgp/adjRibOut.js";
import { ownerHasLeft, type LogState } from "../logState.js";
import type { MembershipState } from "../membership.js";
import { vipCatalog } from "../vipCatalog.js";
import { aggregatePrefix } from "./aggregate.js";
import { otherFamilyNextHop, type OtherFamilyNextHop } from "./nextHop.js";
import { attributesOf, mergeAttributes } from "./routeMerge.js";

// What one node says over BGP, derived from the log and membership alone: the sessions it keeps (BGPPeers whose
// nodeSelectors select it) and, per session, prefix -> attributes. Unlike L2 there is no owner: every eligible node
// advertises and the routers spread traffic (ECMP). A node that is leaving, dead in its own view, not ready or
// excluded keeps its sessions but advertises nothing, so routers move traffic before it goes.

// A dual-stack session also carries the next hop for the other family, chosen from the node's interfaces as its
// heartbeats report them (nextHop.ts), or the reason there is none (those routes are then not sent).

/**
 * `otherFamily`: only for peers with dualStackAddressFamily; `bfd`: the BFDProfile the peer names, if any; `md5Key`:
 * the password the speaker read for `peer.password` and checked against its hash (agents/speaker/bgpPasswords.ts),
 * never from the log.
 */
export type BgpPeerPlan = { peer: BgpPeerConfig; routes: Map<string, RouteAttributes>; otherFamily?: OtherFamilyNextHop; bfd?: BfdProfileConfig; md5Key?: string };
/** Peer name -> session and routes; peers are in name order. */
export type BgpPlan = Map<string, BgpPeerPlan>;

export function bgpPlanFor(node: string, log: LogState, members: MembershipState): BgpPlan {
  const plan: BgpPlan = new Map();
  const config = log.config?.config;
  const bgp = config?.bgp;
  if (!config || !bgp) return plan;
  const labels = config.nodes.find((n) => n.name === node)?.labels ?? {};
  const peers = [...bgp.peers].sort(byName).filter((p) => anySelectorMatches(p.nodeSelectors, labels));
  const self = members.nodes[node];
  const interfaces = self ? interfacesOf(log, self) : [];
  for (const peer of peers) {
    const bfd = peer.bfdProfile === undefined ? undefined : bgp.bfdProfiles?.find((b) => b.name === peer.bfdProfile);
    plan.set(peer.name, {
      peer, routes: new Map(),
      ...(peer.dualStackAddressFamily ? { otherFamily: otherFamilyNextHop(node, peer, interfaces) } : {}),
      ...(bfd === undefined ? {} : { bfd }),
    });
  }
  if (!mayAdvertise(node, log, members, config)) return plan;
  const ads = [...bgp.advertisements].sort(byName).filter((ad) => anySelectorMatches(ad.nodeSelectors, labels));
  for (const entry of vipCatalog(log)) {
    if (!entry.pool || !hasLocalEndpoint(entry.services, node)) continue;
    for (const ad of ads) {
      if (!advertisesPool(ad, entry.pool) || !entry.services.some((s) => anySelectorMatches(ad.serviceSelectors, s.labels))) continue;
      const prefix = aggregatePrefix(entry.ip, entry.ip.family === 4 ? ad.aggregationLength : ad.aggregationLengthV6);
      const attrs = attributesOf(ad);
      for (const { peer, routes } of plan.values()) {
        if (ad.peers.length > 0 && !ad.peers.includes(peer.name)) continue;
        if (!peer.dualStackAddressFamily && familyOfText(peer.peerAddress) !== entry.ip.family) continue;
        const had = routes.get(prefix);
        routes.set(prefix, had ? mergeAttributes(had, attrs) : attrs);
      }
    }
  }
  return plan;
}

/** The node itself may advertise: known, not dead, ready, not leaving, not excluded, Node conditions fine. */
export function mayAdvertise(node: string, log: LogState, members: MembershipState, config: ClusterConfig): boolean {
  const member = members.nodes[node];
  if (!member || member.status === "dead" || !member.ready || ownerHasLeft(log, node, member.incarnation)) return false;
  const cfg = config.nodes.find((n) => n.name === node);
  if (cfg && (Object.hasOwn(cfg.labels, EXCLUDE_FROM_LB_LABEL) || cfg.ready === false || cfg.networkUnavailable === true)) return false;
  return true;
}

/** externalTrafficPolicy Local: only nodes with a ready endpoint of one of the Services holding the VIP. */
export function hasLocalEndpoint(services: readonly ServiceConfig[], node: string): boolean {
  const local = services.filter((s) => s.externalTrafficPolicy === "Local");
  return local.length === 0 || local.some((s) => s.readyEndpointNodes.includes(node));
}

const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
