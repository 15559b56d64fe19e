import { parseCidr, rangeContains, type IpRange } from "../net/cidr.js";
import { anySelectorMatches, selectorMatches } from "../config/selectors.js";
import { EXCLUDE_FROM_LB_LABEL, type ClusterConfig, type L2AdvertisementConfig, type NodeConfig } from "../config/types.js";
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

const NO_LABELS: Record<string, string> = {};
const nodeIndexes = new WeakMap<ClusterConfig, ReadonlyMap<string, NodeConfig>>();

/** The configured Node of that name, through an index built once per configuration (a plan asks VIPs x nodes times). */
function nodeConfig(config: ClusterConfig, name: string): NodeConfig | undefined {
  let index = nodeIndexes.get(config);
  if (!index) {
    index = new Map(config.nodes.map((n) => [n.name, n]));
    nodeIndexes.set(config, index);
  }
  return index.get(name);
}

// Refusals that name nothing are shared: a plan of 10,000 VIPs over many nodes asks qualify millions of times.
const refused = (reason: string): Qualification => Object.freeze({ ok: false, reason });
const EXCLUDED = refused(`node has label ${EXCLUDE_FROM_LB_LABEL}`);
const NOT_READY = refused("node is not ready");
const CONDITION_NOT_READY = refused("node condition Ready is not True");
const NETWORK_UNAVAILABLE = refused("node condition NetworkUnavailable is True");
const NO_LOCAL_ENDPOINT = refused("externalTrafficPolicy Local and no ready endpoint on the node");
const NO_AD_FOR_NODE = refused("no L2Advertisement selects the node");
const NO_INTERFACE = refused("no usable interface in the VIP's subnet or routing to it");

/** externalTrafficPolicy Local on any of the VIP's Services needs a ready endpoint of one of them on the node. */
function localEndpointsAllow(entry: VipEntry, node: string): boolean {
  let local = false;
  for (const s of entry.services) {
    if (s.externalTrafficPolicy !== "Local") continue;
    if (s.readyEndpointNodes.includes(node)) return true;
    local = true;
  }
  return !local;
}

/** The interface may answer for the VIP under one of the advertisements that select the node. */
function interfaceAllowed(ads: readonly L2AdvertisementConfig[], name: string): boolean {
  return ads.some((ad) => ad.interfaces.length === 0 || ad.interfaces.includes(name));
}

/** What qualification reads of a member alone, so many VIPs can be checked against it without looking it up again. */
export type MemberFacts = { node: string; labels: Record<string, string>; refusal: Qualification | null; subnets: Subnet[] };

/** `interfaces` are the member's (nodeFacts.ts: interfacesOf). */
export function memberFacts(member: MemberRecord, interfaces: InterfaceFact[], config: ClusterConfig): MemberFacts {
  const node = nodeConfig(config, member.node);
  const labels = node?.labels ?? NO_LABELS;
  let refusal: Qualification | null = null;
  if (Object.hasOwn(labels, EXCLUDE_FROM_LB_LABEL)) refusal = EXCLUDED;
  else if (!member.ready) refusal = NOT_READY;
  else if (node && !node.ready) refusal = CONDITION_NOT_READY;
  else if (node?.networkUnavailable) refusal = NETWORK_UNAVAILABLE;
  return { node: member.node, labels, refusal, subnets: subnetsOf(interfaces) };
}

/** `interfaces` are the member's (nodeFacts.ts: interfacesOf). */
export function qualify(entry: VipEntry, member: MemberRecord, interfaces: InterfaceFact[], config: ClusterConfig): Qualification {
  return qualifyFacts(entry, memberFacts(member, interfaces, config));
}

/** qualify() with the member's facts worked out already (a plan works them out once per member, not once per VIP). */
export function qualifyFacts(entry: VipEntry, member: MemberFacts): Qualification {
  if (!entry.pool) return { ok: false, reason: "no pool contains the VIP" };
  if (entry.advertisements.length === 0) return { ok: false, reason: `no L2Advertisement selects pool ${entry.pool.name}` };
  if (member.refusal) return member.refusal;
  if (!localEndpointsAllow(entry, member.node)) return NO_LOCAL_ENDPOINT;
  const all = entry.advertisements;
  const labels = member.labels;
  const ads = all.every((ad) => anySelectorMatches(ad.nodeSelectors, labels)) ? all : all.filter((ad) => anySelectorMatches(ad.nodeSelectors, labels));
  if (ads.length === 0) return NO_AD_FOR_NODE;
  let viaRoute: Subnet | undefined;
  for (const s of member.subnets) {
    if (!rangeContains(s.range, entry.ip) || !interfaceAllowed(ads, s.iface.name)) continue;
    if (!s.route) return { ok: true, interface: s.iface.name };
    if (!viaRoute || s.prefix > viaRoute.prefix || (s.prefix === viaRoute.prefix && s.iface.name < viaRoute.iface.name)) viaRoute = s;
  }
  if (viaRoute) return { ok: true, interface: viaRoute.iface.name };
  return NO_INTERFACE;
}

const selectorKeysCache = new WeakMap<ClusterConfig, string[]>();

/** The label keys any L2Advertisement's nodeSelectors read: the only labels qualification depends on. */
function selectedLabelKeys(config: ClusterConfig): string[] {
  let keys = selectorKeysCache.get(config);
  if (!keys) {
    const all = new Set<string>();
    for (const ad of config.l2Advertisements) {
      for (const sel of ad.nodeSelectors) {
        for (const k of Object.keys(sel.matchLabels)) all.add(k);
        for (const req of sel.matchExpressions) all.add(req.key);
      }
    }
    selectorKeysCache.set(config, (keys = [...all].sort()));
  }
  return keys;
}

/**
 * Members with the same key qualify alike for every VIP none of whose Services has externalTrafficPolicy: Local
 * (the only check that reads the node's name): the same refusal, the same values of the labels advertisements select
 * on, the same subnets on the same interface names. Nodes on one segment with the same role share a key, so a plan
 * checks each VIP once per kind of node rather than once per node.
 */
export function qualificationKey(facts: MemberFacts, config: ClusterConfig): string {
  const labels = selectedLabelKeys(config).map((k) => (Object.hasOwn(facts.labels, k) ? `${k}=${facts.labels[k]}` : `!${k}`));
  const subnets = facts.subnets.map((s) => `${s.iface.name}/${s.range.family}/${s.range.first}/${s.range.last}/${s.prefix}/${s.route ? "r" : "a"}`);
  return JSON.stringify([facts.refusal?.ok === false ? facts.refusal.reason : null, labels, subnets]);
}

/** Whether qualification of this VIP reads the node's name (externalTrafficPolicy: Local), so keys cannot stand for nodes. */
export function qualifiesPerNode(entry: VipEntry): boolean {
  return entry.services.some((s) => s.externalTrafficPolicy === "Local");
}

/**
 * MetalLB's preferredNodeSelectors: each advertisement of the VIP scores the nodes its own nodeSelectors admit with
 * the weights of the preferences they match; the scores add up across advertisements. Used only when a VIP needs a
 * new owner: ownership stays sticky, so a preferred node that returns takes nothing back.
 */
export function preferenceScore(entry: VipEntry, nodeName: string, config: ClusterConfig): number {
  const labels = nodeConfig(config, nodeName)?.labels ?? NO_LABELS;
  let score = 0;
  for (const ad of entry.advertisements) {
    if (ad.preferredNodeSelectors.length === 0 || !anySelectorMatches(ad.nodeSelectors, labels)) continue;
    for (const p of ad.preferredNodeSelectors) if (selectorMatches(p.preference, labels)) score += p.weight;
  }
  return score;
}
