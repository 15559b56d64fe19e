import { canonicalIp } from "../net/ip.js";
import { deriveTimers, TimerConfigError } from "../protocols/bgp/timers.js";
import { communityAliases, resolveCommunities } from "./bgpCommunities.js";
import type { BgpAdvertisementManifest, BgpPeerManifest, CommunityManifest, SecretManifest } from "./bgpSchemas.js";
import { passwordRefFor } from "./bgpPassword.js";
import { parseGoDuration } from "./duration.js";
import type { BgpAdvertisementConfig, BgpConfig, BgpPeerConfig } from "./types.js";

// BGPPeer, BGPAdvertisement, Community and Secret manifests -> BgpConfig, with MetalLB's cross-field rules. Every
// problem names the object and field.

export type BgpManifests = {
  peers: BgpPeerManifest[];
  advertisements: BgpAdvertisementManifest[];
  communities: CommunityManifest[];
  secrets: SecretManifest[];
};

export const emptyBgpManifests = (): BgpManifests => ({ peers: [], advertisements: [], communities: [], secrets: [] });

export function toBgpConfig(m: BgpManifests, problems: string[]): BgpConfig {
  const aliases = communityAliases(m.communities, problems);
  const peers = m.peers.flatMap((p) => toPeer(p, m.secrets, problems) ?? []);
  const advertisements = m.advertisements.map((a): BgpAdvertisementConfig => {
    const where = `BGPAdvertisement/${a.metadata.name}: spec.communities`;
    return { name: a.metadata.name, ...a.spec, localPref: a.spec.localPref ?? null, ...resolveCommunities(a.spec.communities, aliases, where, problems) };
  });
  const peerNames = new Set(m.peers.map((p) => p.metadata.name));
  for (const a of m.advertisements) {
    for (const [i, name] of a.spec.peers.entries()) if (!peerNames.has(name)) problems.push(`BGPAdvertisement/${a.metadata.name}: spec.peers[${i}]: no BGPPeer "${name}"`);
  }
  for (const [kind, names] of [["BGPPeer", peers.map((p) => p.name)], ["BGPAdvertisement", advertisements.map((a) => a.name)]] as const) {
    for (const [i, n] of names.entries()) if (names.indexOf(n) !== i) problems.push(`${kind}/${n}: metadata.name: defined more than once`);
  }
  return { peers, advertisements };
}

function toPeer(p: BgpPeerManifest, secrets: readonly SecretManifest[], problems: string[]): BgpPeerConfig | null {
  const s = p.spec;
  const at = (field: string): string => `BGPPeer/${p.metadata.name}: spec.${field}`;
  const before = problems.length;
  const peerASN = s.peerASN === undefined || s.peerASN === 0 ? null : s.peerASN;
  if (peerASN !== null && s.dynamicASN !== undefined) problems.push(`${at("dynamicASN")}: peerASN and dynamicASN are mutually exclusive`);
  if (peerASN === null && s.dynamicASN === undefined) problems.push(`${at("peerASN")}: one of peerASN or dynamicASN must be specified`);
  // iBGP or eBGP is decided against the ASN the session actually uses: localASN when set.
  const ibgp = peerASN === (s.localASN ?? s.myASN) || s.dynamicASN === "internal";
  if (s.ebgpMultiHop && ibgp) problems.push(`${at("ebgpMultiHop")}: cannot be set for an iBGP peer`);
  const ip = (field: "peerAddress" | "sourceAddress" | "routerID", v: string | undefined): string | null => {
    if (v === undefined) return null;
    try {
      const c = canonicalIp(v);
      if (field === "routerID" && c.includes(":")) throw new Error("a BGP identifier is an IPv4 address");
      return c;
    } catch (err) {
      problems.push(`${at(field)}: ${(err as Error).message}`);
      return null;
    }
  };
  if (s.interface !== undefined && s.peerAddress !== undefined) problems.push(`${at("interface")}: peerAddress and interface are mutually exclusive`);
  else if (s.interface !== undefined) problems.push(`${at("interface")}: unnumbered sessions (interface) are not supported by vipmesh; set peerAddress`);
  else if (s.peerAddress === undefined) problems.push(`${at("peerAddress")}: one of peerAddress or interface must be specified`);
  if (s.disableMP && s.dualStackAddressFamily) problems.push(`${at("dualStackAddressFamily")}: disableMP and dualStackAddressFamily are mutually exclusive`);
  const peerAddress = ip("peerAddress", s.peerAddress);
  const sourceAddress = ip("sourceAddress", s.sourceAddress);
  const routerID = ip("routerID", s.routerID);
  const ms = (field: "holdTime" | "keepaliveTime" | "connectTime"): number | null => {
    const text = s[field];
    if (text === undefined) return null;
    const v = parseGoDuration(text);
    if (v === null) problems.push(`${at(field)}: "${text}" is not a duration like 90s, 1m30s or 500ms`);
    return v;
  };
  const holdTimeMs = ms("holdTime");
  const keepaliveTimeMs = ms("keepaliveTime");
  const connectTimeMs = ms("connectTime");
  if (connectTimeMs !== null && connectTimeMs % 1000 !== 0) problems.push(`${at("connectTime")}: must be a whole number of seconds`);
  try {
    deriveTimers({ ...(holdTimeMs === null ? {} : { holdTimeMs }), ...(keepaliveTimeMs === null ? {} : { keepaliveTimeMs }), ...(connectTimeMs === null ? {} : { connectTimeMs }) });
  } catch (err) {
    if (!(err instanceof TimerConfigError)) throw err;
    problems.push(`${at(err.field)}: ${err.message.slice(err.field.length + 2)}`);
  }
  const password = passwordRefFor(p, secrets, problems);
  if (problems.length > before || peerAddress === null) return null;
  return {
    name: p.metadata.name, myASN: s.myASN, ...(s.localASN === undefined ? {} : { localASN: s.localASN }),
    peerASN, dynamicASN: s.dynamicASN ?? null, peerAddress, sourceAddress, peerPort: s.peerPort, routerID,
    holdTimeMs, keepaliveTimeMs, connectTimeMs, password, ebgpMultiHop: s.ebgpMultiHop, nodeSelectors: s.nodeSelectors,
    enableGracefulRestart: s.enableGracefulRestart, dualStackAddressFamily: s.dualStackAddressFamily, vrf: s.vrf ?? null,
    ...(s.bfdProfile === undefined || s.bfdProfile === "" ? {} : { bfdProfile: s.bfdProfile }),
  };
}
