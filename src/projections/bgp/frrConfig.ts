import type { BfdProfileConfig, BgpPeerConfig } from "../../config/types.js";
import { familyOfText, type Family } from "../../net/ip.js";
import type { RouteAttributes } from "../../protocols/bgp/adjRibOut.js";
import { prefixFamily } from "../../protocols/bgp/prefix.js";
import { deriveTimers } from "../../protocols/bgp/timers.js";
import type { BgpPeerPlan, BgpPlan } from "./bgpPlan.js";

// The BGP plan as FRR configuration (--bgp-backend frr), a pure function of the plan. The configuration is a list of
// sections (a context path, such as ["router bgp 64512", "address-family ipv4 unicast"], and its lines); frrDiff.ts
// turns two of them into the vtysh commands that change one into the other.
//
// Every prefix any peer gets is a `network` of its BGP instance (one per VRF), announced without a route in the RIB
// (`no bgp network import-check`). Each peer's outbound route-map says which of them it gets and with what: one entry
// per distinct attribute set (communities, large communities, local-pref, the other family's next hop), matching a
// prefix-list of that set's prefixes, then a final deny. Entries and lists are named after a hash of the attribute
// set, so a route or a community change touches only its own prefix-list lines and route-map entries.
//
// FRR has one ASN and one router ID per BGP instance. The instance takes the first peer's (by name) myASN and
// routerID; a peer with another myASN (or a localASN) gets `local-as ... no-prepend replace-as`, so it sees only
// its own ASN, as with the native speaker. A peer whose routerID differs from its instance's cannot have it: that is
// reported as a problem, and the instance's is used.

export type FrrLine = {
  readonly text: string;
  /** Lines of one slot replace each other (`neighbor X timers ...`); by default the text itself. */
  readonly slot?: string;
  /** Removed by FRR together with this slot (a neighbor's lines go with its remote-as); no own `no` needed then. */
  readonly goesWith?: string;
  /** The command that removes the line, when `no <text>` would not (`no neighbor X bfd`). */
  readonly undo?: string;
};
export type FrrSection = {
  /** The commands entering the section, outermost first; [] for top-level lines. */
  readonly context: readonly string[];
  /** Sections with one exclusive key cannot coexist (`router bgp 1` and `router bgp 2` in one VRF). */
  readonly exclusive?: string;
  /** A nested section removed with one `no` of its last context command (a BFD profile), not line by line. */
  readonly whole?: boolean;
  readonly lines: readonly FrrLine[];
};
export type FrrConfig = { readonly sections: readonly FrrSection[]; readonly problems: readonly string[] };

/**
 * `preserveForwarding`: this process restarted in place within the grace the log gave it (bgpRestart.ts), so its
 * Graceful Restart capability says forwarding state was kept (F bit, `bgp graceful-restart preserve-fw-state`) and a
 * helper router keeps the stale routes until End-of-RIB instead of dropping them when the session comes back.
 */
export type FrrDefaults = { routerId: string; restartTimeS: number; preserveForwarding?: boolean };

/** Incoming routes are refused (the speaker takes no routes, as the native one counts and drops them). */
export const FRR_IN_ROUTE_MAP = "vipmesh-in";

export function renderFrrConfig(plan: BgpPlan, d: FrrDefaults): FrrConfig {
  const problems: string[] = [];
  const prefixLists: FrrLine[] = [];
  const routeMaps: FrrSection[] = [];
  for (const p of plan.values()) {
    const policy = peerPolicy(p);
    prefixLists.push(...policy.prefixLists);
    routeMaps.push(...policy.routeMaps);
  }
  const instances: FrrSection[] = [];
  for (const [vrf, peers] of byVrf(plan)) instances.push(...instanceSections(vrf, peers, d, problems));
  // Policy changes are pushed with a soft reset out where needed (frrDiff.ts), not on FRR's delay timer.
  const top: FrrSection = { context: [], lines: [{ text: "bgp route-map delay-timer 0" }, { text: `route-map ${FRR_IN_ROUTE_MAP} deny 1` }, ...prefixLists] };
  return { sections: [top, ...routeMaps, ...bfdSections(plan, problems), ...instances], problems };
}

/** Whether any peer of the plan asks for BFD (bfdd must run). */
export const planUsesBfd = (plan: BgpPlan): boolean => [...plan.values()].some((p) => p.bfd !== undefined);

/**
 * bfdd's profiles, as the BFDProfile objects set them; unset fields keep FRR's defaults, which are MetalLB's. bfdd has
 * no flap dampening: a profile asking for it (vipmesh's annotations) is a problem, and its sessions are not damped.
 */
function bfdSections(plan: BgpPlan, problems: string[]): FrrSection[] {
  const profiles = new Map<string, BfdProfileConfig>();
  for (const p of plan.values()) if (p.bfd) profiles.set(p.bfd.name, p.bfd);
  if (profiles.size === 0) return [];
  const sections: FrrSection[] = [{ context: ["bfd"], lines: [] }];
  for (const b of [...profiles.values()].sort((a, c) => (a.name < c.name ? -1 : 1))) {
    const lines: FrrLine[] = [];
    const set = (slot: string, value: number | undefined): void => void (value === undefined ? undefined : lines.push({ text: `${slot} ${value}`, slot }));
    set("receive-interval", b.receiveInterval);
    set("transmit-interval", b.transmitInterval);
    set("detect-multiplier", b.detectMultiplier);
    set("minimum-ttl", b.minimumTtl);
    if (b.echoMode) lines.push({ text: "echo-mode" });
    set("echo receive-interval", b.echoInterval);
    set("echo transmit-interval", b.echoInterval);
    if (b.passiveMode) lines.push({ text: "passive-mode" });
    if (b.dampening) problems.push(`BFDProfile/${b.name}: metadata.annotations.vipmesh.io/bfd-dampening-*: FRR's bfdd has no flap dampening, so this profile's sessions are not damped in FRR mode; the native backend damps them`);
    sections.push({ context: ["bfd", `profile ${b.name}`], whole: true, lines });
  }
  return sections;
}

/** The route-map a peer's routes go out through. */
export const outRouteMap = (peer: string): string => `vipmesh-${peer}-out`;

type Group = { key: string; attrs: RouteAttributes; v4: string[]; v6: string[] };

function peerPolicy(p: BgpPeerPlan): { prefixLists: FrrLine[]; routeMaps: FrrSection[] } {
  const name = p.peer.name;
  const nextHop = otherNextHop(p);
  const held = p.otherFamily !== undefined && "problem" in p.otherFamily ? p.otherFamily.family : undefined;
  const groups = new Map<string, Group>();
  for (const [prefix, attrs] of p.routes) {
    const family = prefixFamily(prefix);
    if (family === held) continue; // no next hop of that family: not sent (the announcer reports why)
    const key = attributeKey(attrs);
    const g = groups.get(key) ?? { key, attrs, v4: [], v6: [] };
    (family === 4 ? g.v4 : g.v6).push(prefix);
    groups.set(key, g);
  }
  const prefixLists: FrrLine[] = [];
  const routeMaps: FrrSection[] = [];
  const used = new Set<number>();
  for (const g of [...groups.values()].sort((a, b) => (a.key < b.key ? -1 : 1))) {
    for (const family of [4, 6] as const) {
      const prefixes = family === 4 ? g.v4 : g.v6;
      if (prefixes.length === 0) continue;
      const list = `vipmesh-${name}-${hashHex(g.key)}-${family}`;
      const ip = family === 4 ? "ip" : "ipv6";
      for (const prefix of prefixes.sort()) prefixLists.push({ text: `${ip} prefix-list ${list} permit ${prefix}` });
      const seq = freeSeq(used, `${g.key}/${family}`);
      const entry = `route-map ${outRouteMap(name)} permit ${seq}`;
      routeMaps.push({ context: [entry], lines: [{ text: `match ${ip} address prefix-list ${list}` }, ...setLines(g.attrs, family, nextHop)] });
    }
  }
  routeMaps.push({ context: [`route-map ${outRouteMap(name)} deny 65535`], lines: [] });
  return { prefixLists, routeMaps };
}

function setLines(a: RouteAttributes, family: Family, nextHop: { family: Family; address: string } | undefined): FrrLine[] {
  const lines: FrrLine[] = [];
  if (a.communities?.length) lines.push({ text: `set community ${a.communities.join(" ")}`, slot: "set community" });
  if (a.largeCommunities?.length) lines.push({ text: `set large-community ${a.largeCommunities.join(" ")}`, slot: "set large-community" });
  if (a.localPref !== undefined) lines.push({ text: `set local-preference ${a.localPref}`, slot: "set local-preference" });
  if (nextHop?.family === family) {
    const text = family === 6 ? `set ipv6 next-hop global ${nextHop.address}` : `set ip next-hop ${nextHop.address}`;
    lines.push({ text, slot: "set next-hop" });
  }
  return lines;
}

function otherNextHop(p: BgpPeerPlan): { family: Family; address: string } | undefined {
  const o = p.otherFamily;
  return o !== undefined && "address" in o ? { family: o.family, address: o.address } : undefined;
}

function byVrf(plan: BgpPlan): Map<string | null, BgpPeerPlan[]> {
  const out = new Map<string | null, BgpPeerPlan[]>();
  for (const p of plan.values()) out.set(p.peer.vrf, [...(out.get(p.peer.vrf) ?? []), p]);
  return out;
}

function instanceSections(vrf: string | null, peers: readonly BgpPeerPlan[], d: FrrDefaults, problems: string[]): FrrSection[] {
  const first = peers[0]!.peer; // plans list peers by name
  const routerId = first.routerID ?? d.routerId;
  const router = `router bgp ${first.myASN}${vrf === null ? "" : ` vrf ${vrf}`}`;
  const exclusive = `router bgp vrf ${vrf ?? "default"}`;
  const lines: FrrLine[] = [
    { text: `bgp router-id ${routerId}`, slot: "bgp router-id" },
    { text: "no bgp default ipv4-unicast" },
    { text: "no bgp ebgp-requires-policy" },
    { text: "no bgp network import-check" },
    { text: `bgp graceful-restart restart-time ${d.restartTimeS}`, slot: "bgp graceful-restart restart-time" },
    ...(d.preserveForwarding === true ? [{ text: "bgp graceful-restart preserve-fw-state" }] : []),
  ];
  for (const { peer, bfd, md5Key } of peers) {
    if ((peer.routerID ?? d.routerId) !== routerId) {
      problems.push(`BGPPeer/${peer.name}: spec.routerID: FRR has one router ID per BGP instance; ${routerId} (of BGPPeer/${first.name}) is used`);
    }
    lines.push(...neighborLines(peer, bfd, md5Key, first.myASN, problems));
  }
  const families = ([4, 6] as const).map((f) => afSection(router, exclusive, f, peers));
  return [{ context: [router], exclusive, lines }, ...families];
}

function neighborLines(p: BgpPeerConfig, bfd: BfdProfileConfig | undefined, md5Key: string | undefined, instanceAsn: number, problems: string[]): FrrLine[] {
  const n = `neighbor ${p.peerAddress}`;
  const line = (text: string, slot: string): FrrLine => ({ text: `${n} ${text}`, slot: `${n} ${slot}`, goesWith: `${n} remote-as` });
  const local = p.localASN ?? p.myASN;
  // eBGP by the peer's own ASN (localASN) while its peerASN is the instance's: FRR would take it for iBGP, where
  // local-as is refused; `remote-as external` takes the configuration, but FRR 8.4 still refuses the router's OPEN
  // (its AS is the instance's), so the session does not come up: reported.
  const ebgpAsInstance = p.peerASN === instanceAsn && local !== instanceAsn;
  if (ebgpAsInstance) {
    problems.push(`BGPPeer/${p.name}: spec.localASN: FRR cannot run an eBGP session as ${local} to peerASN ${p.peerASN}, the ASN of this node's BGP instance; the native backend can`);
  }
  const remote = p.peerASN !== null && !ebgpAsInstance ? `${p.peerASN}` : p.dynamicASN === "internal" ? "internal" : "external";
  const lines: FrrLine[] = [{ text: `${n} remote-as ${remote}`, slot: `${n} remote-as` }];
  if (local !== instanceAsn) lines.push(line(`local-as ${local} no-prepend replace-as`, "local-as"));
  if (p.peerPort !== 179) lines.push(line(`port ${p.peerPort}`, "port"));
  const t = deriveTimers({
    ...(p.holdTimeMs === null ? {} : { holdTimeMs: p.holdTimeMs }),
    ...(p.keepaliveTimeMs === null ? {} : { keepaliveTimeMs: p.keepaliveTimeMs }),
  });
  lines.push(line(`timers ${Math.floor(t.keepaliveMs / 1000)} ${t.holdTime}`, "timers"));
  if (p.connectTimeMs !== null) lines.push(line(`timers connect ${Math.max(1, Math.round(p.connectTimeMs / 1000))}`, "timers connect"));
  if (p.password !== null && md5Key === undefined) problems.push(`BGPPeer/${p.name}: password: not read by this speaker yet; the session has none`);
  else if (md5Key !== undefined) {
    if (/\s/.test(md5Key)) problems.push(`BGPPeer/${p.name}: password: FRR takes no whitespace in a password; the session has none`);
    else lines.push(line(`password ${md5Key}`, "password"));
  }
  if (p.ebgpMultiHop) lines.push(line("ebgp-multihop 255", "ebgp-multihop"));
  if (p.sourceAddress !== null) lines.push(line(`update-source ${p.sourceAddress}`, "update-source"));
  if (p.enableGracefulRestart) lines.push(line("graceful-restart", "graceful-restart"));
  if (bfd !== undefined) lines.push({ ...line(`bfd profile ${bfd.name}`, "bfd"), undo: `no ${n} bfd` });
  return lines;
}

function afSection(router: string, exclusive: string, family: Family, peers: readonly BgpPeerPlan[]): FrrSection {
  const lines: FrrLine[] = [];
  const networks = new Set<string>();
  for (const p of peers) {
    const own = familyOfText(p.peer.peerAddress) === family;
    if (!own && !p.peer.dualStackAddressFamily) continue;
    const n = `neighbor ${p.peer.peerAddress}`;
    const goesWith = `${n} remote-as`;
    lines.push({ text: `${n} activate`, goesWith }, { text: `${n} route-map ${FRR_IN_ROUTE_MAP} in`, goesWith }, { text: `${n} route-map ${outRouteMap(p.peer.name)} out`, goesWith });
    for (const prefix of p.routes.keys()) if (prefixFamily(prefix) === family) networks.add(prefix);
  }
  for (const prefix of [...networks].sort()) lines.push({ text: `network ${prefix}` });
  return { context: [router, `address-family ipv${family} unicast`], exclusive, lines };
}

/** A route-map sequence number for an attribute set: stable under changes to other sets, unique within the map. */
function freeSeq(used: Set<number>, key: string): number {
  let seq = 10 + (hash32(key) % 65_000);
  while (used.has(seq)) seq = seq >= 65_009 ? 10 : seq + 1;
  used.add(seq);
  return seq;
}

/** FNV-1a, 32 bits. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

const attributeKey = (a: RouteAttributes): string => JSON.stringify([a.communities ?? [], a.largeCommunities ?? [], a.localPref ?? null]);

const hashHex = (text: string): string => hash32(text).toString(16).padStart(8, "0");
