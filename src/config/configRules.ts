import { canonicalCommunity, largeCommunityToNumbers } from "../protocols/bgp/communities.js";
import { deriveTimers, TimerConfigError } from "../protocols/bgp/timers.js";
import { aggregationProblems } from "./bgpAggregation.js";
import { poolProblems } from "./poolManifest.js";
import type { BgpConfig, BgpPeerConfig, ClusterConfig } from "./types.js";

// The rules configuration validation applies, run again on a configuration as the log carries it (after decoding),
// so an event nobody's validation produced (a forged ConfigApplied) is refused by the projection as `vipmesh validate`
// or the ingest would refuse its objects. Only rules that hold for every configuration the builder can publish (its
// last-good substitutions included) belong here: pools, aggregation lengths, each peer's own fields, communities.

/** Every problem, "Kind/name: field: reason", as validation words them; empty for a configuration it would accept. */
export function configRuleProblems(config: ClusterConfig): string[] {
  const problems = poolProblems(config.pools);
  if (config.bgp !== undefined) problems.push(...bgpRuleProblems(config.bgp), ...aggregationProblems(config.bgp.advertisements, config.pools));
  return problems;
}

function bgpRuleProblems(bgp: BgpConfig): string[] {
  const problems = bgp.peers.flatMap(peerProblems);
  for (const [kind, names] of [["BGPPeer", bgp.peers.map((p) => p.name)], ["BGPAdvertisement", bgp.advertisements.map((a) => a.name)]] as const) {
    for (const [i, n] of names.entries()) if (names.indexOf(n) !== i) problems.push(`${kind}/${n}: metadata.name: defined more than once`);
  }
  for (const ad of bgp.advertisements) {
    const at = `BGPAdvertisement/${ad.name}: spec.communities`;
    for (const [i, c] of ad.communities.entries()) if (!isCommunity(c)) problems.push(`${at}[${i}]: "${c}" is not a community like 65535:65282`);
    for (const [i, c] of ad.largeCommunities.entries()) if (!isLargeCommunity(c)) problems.push(`${at}[${i}]: "${c}" is not a large community like 123:456:789`);
  }
  return problems;
}

/** A peer's own rules (bgpManifest.ts checks the same on the object): ASNs, iBGP multihop, timers. */
function peerProblems(p: BgpPeerConfig): string[] {
  const at = (field: string): string => `BGPPeer/${p.name}: spec.${field}`;
  const problems: string[] = [];
  if (p.peerASN !== null && p.dynamicASN !== null) problems.push(`${at("dynamicASN")}: peerASN and dynamicASN are mutually exclusive`);
  if (p.peerASN === null && p.dynamicASN === null) problems.push(`${at("peerASN")}: one of peerASN or dynamicASN must be specified`);
  const ibgp = p.peerASN === (p.localASN ?? p.myASN) || p.dynamicASN === "internal";
  if (p.ebgpMultiHop && ibgp) problems.push(`${at("ebgpMultiHop")}: cannot be set for an iBGP peer`);
  if (p.routerID !== null && p.routerID.includes(":")) problems.push(`${at("routerID")}: a BGP identifier is an IPv4 address`);
  if (p.connectTimeMs !== null && p.connectTimeMs % 1000 !== 0) problems.push(`${at("connectTime")}: must be a whole number of seconds`);
  try {
    deriveTimers({
      ...(p.holdTimeMs === null ? {} : { holdTimeMs: p.holdTimeMs }),
      ...(p.keepaliveTimeMs === null ? {} : { keepaliveTimeMs: p.keepaliveTimeMs }),
      ...(p.connectTimeMs === null ? {} : { connectTimeMs: p.connectTimeMs }),
    });
  } catch (err) {
    if (!(err instanceof TimerConfigError)) throw err;
    problems.push(`${at(err.field)}: ${err.message.slice(err.field.length + 2)}`);
  }
  return problems;
}

const isCommunity = (text: string): boolean => {
  try {
    return canonicalCommunity(text) === text;
  } catch {
    return false;
  }
};

const isLargeCommunity = (text: string): boolean => {
  try {
    return largeCommunityToNumbers(text).join(":") === text;
  } catch {
    return false;
  }
};
