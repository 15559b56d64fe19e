import type { Registry } from "prom-client";
import { byLabel, observedCounter, observedGauge, single, type Sample } from "../../adapters/metrics/observed.js";
import type { ProbeCounters } from "../../adapters/probe/udpProbe.js";
import type { MemberProberCounters } from "../../adapters/probe/memberProber.js";
import { registerMemberProbeMetrics } from "../../adapters/probe/memberProbeMetrics.js";
import type { AnswerSet } from "../../projections/answering.js";
import type { BgpPlan } from "../../projections/bgp/bgpPlan.js";
import { MEMBER_STATUSES, membersByStatus, vipsWithoutLiveOwner } from "../../projections/clusterHealth.js";
import { ipRecord } from "../../projections/ipam/state.js";
import type { LogState } from "../../projections/logState.js";
import type { L2Announcer } from "./announcer.js";
import type { BgpAnnouncer, BgpPeerStats } from "./bgpAnnouncer.js";
import type { SpeakerView } from "./view.js";

// A speaker's metrics, read at scrape time from what the speaker already keeps. Names and labels: docs/metrics.md.

export type SpeakerMetricSources = {
  node: string;
  view: SpeakerView;
  fencing: { readonly fenced: boolean; readonly episodes: Readonly<Record<string, number>>; readonly counters: ProbeCounters | null };
  announcer: L2Announcer;
  bgp?: BgpAnnouncer;
  claims: Readonly<Record<"won" | "lost" | "failed", number>>;
  /** Ownership changes this speaker read on the log since it caught up, by the claim's reason. */
  failovers: Readonly<Record<string, number>>;
  /** What the speaker handed the announcers last: the L2 answer set and the BGP plan. */
  answering: () => AnswerSet;
  bgpPlan: () => BgpPlan | null;
  /** The Lifeguard score this speaker last put in its heartbeat (localHealth.ts). */
  healthScore: () => number;
  /** The membership prober's counters (`--membership verdicts`); null before it runs. */
  memberProbes?: () => MemberProberCounters | null;
};

export function registerSpeakerMetrics(registry: Registry, src: SpeakerMetricSources): void {
  registerAnnounced(registry, src);
  registerCluster(registry, src);
  registerFencing(registry, src);
  registerL2(registry, src.announcer);
  if (src.bgp) registerBgp(registry, src.bgp);
  if (src.memberProbes) registerMemberProbeMetrics(registry, src.memberProbes);
}

/** MetalLB's metallb_speaker_announced: one series per (service, protocol, ip) this node announces. */
function registerAnnounced(registry: Registry, src: SpeakerMetricSources): void {
  observedGauge(registry, {
    name: "metallb_speaker_announced",
    help: "Services being announced from this node (desired state: 1 per service, protocol and IP)",
    labelNames: ["service", "protocol", "node", "ip"],
    read: () => {
      const log = src.view.log;
      const bgpIps = new Set([...(src.bgpPlan()?.values() ?? [])].flatMap((p) => [...p.routes.keys()].map((prefix) => prefix.split("/")[0] ?? prefix)));
      return [
        ...[...src.answering().keys()].flatMap((ip) => announcedSamples(log, ip, "layer2", src.node)),
        ...[...bgpIps].flatMap((ip) => announcedSamples(log, ip, "bgp", src.node)),
      ];
    },
  });
}

function announcedSamples(log: LogState, ip: string, protocol: string, node: string): Sample<"service" | "protocol" | "node" | "ip">[] {
  const holders = ipRecord(log.ipam, ip)?.holders ?? [];
  return holders.map((h) => ({ labels: { service: h.service, protocol, node, ip }, value: 1 }));
}

function registerCluster(registry: Registry, src: SpeakerMetricSources): void {
  const { view } = src;
  observedGauge(registry, {
    name: "vipmesh_membership_nodes", help: "Nodes per membership status in this speaker's view (alive, suspect, dead, left)", labelNames: ["status"],
    read: () => {
      const counts = membersByStatus(view.log, view.planMembers);
      return MEMBER_STATUSES.map((status) => ({ labels: { status }, value: counts[status] }));
    },
  });
  observedGauge(registry, {
    name: "vipmesh_vips_without_owner", help: "L2 VIPs whose owner on the log is nobody, dead or gone, in this speaker's view (0 before it caught up)",
    read: () => single(view.ready ? vipsWithoutLiveOwner(view.log, view.planMembers).length : 0),
  });
  observedCounter(registry, {
    name: "vipmesh_failovers_total", help: "VIPs that moved from one node to another, read on the log since this speaker caught up, by the claim's reason", labelNames: ["reason"],
    read: () => byLabel("reason", src.failovers),
  });
  observedCounter(registry, {
    name: "vipmesh_vip_claims_total", help: "VIP claims this speaker published: won, lost to a racing claim, failed to publish", labelNames: ["result"],
    read: () => byLabel("result", src.claims),
  });
}

function registerFencing(registry: Registry, src: SpeakerMetricSources): void {
  const { fencing } = src;
  observedGauge(registry, {
    name: "vipmesh_health_score", help: "How late this speaker has been running (Lifeguard score in its heartbeats: 0 healthy, 4 starved, 8 the most); others widen its dead timeout by it",
    read: () => single(src.healthScore()),
  });
  observedGauge(registry, { name: "vipmesh_fenced", help: "1 while this speaker is fenced (cut off from the log; answers nothing, withdraws its routes)", read: () => single(fencing.fenced ? 1 : 0) });
  observedCounter(registry, {
    name: "vipmesh_fence_episodes_total", help: "Times this speaker fenced itself, by cause (isolated: no peer answered; cut-off: a peer reaches the log)", labelNames: ["cause"],
    read: () => byLabel("cause", fencing.episodes),
  });
  observedCounter(registry, {
    name: "vipmesh_probe_drops_total", help: "Fencing probes and answers dropped, by reason", labelNames: ["reason"],
    read: () => byLabel("reason", fencing.counters?.dropped ?? {}),
  });
  observedCounter(registry, {
    name: "vipmesh_probes_total", help: "Fencing probes sent and answered, and answers received", labelNames: ["kind"],
    read: () => {
      const c = fencing.counters;
      return c ? byLabel("kind", { sent: c.probesSent, answered: c.probesAnswered, answers: c.answersReceived, "send-errors": c.sendErrors }) : [];
    },
  });
}

function registerL2(registry: Registry, announcer: L2Announcer): void {
  const links = () => Object.values(announcer.stats?.().links ?? {});
  observedCounter(registry, {
    name: "vipmesh_l2_replies_total", help: "ARP replies and solicited Neighbor Advertisements sent, by protocol and interface", labelNames: ["protocol", "interface"],
    read: () => links().map((l) => ({ labels: { protocol: l.protocol, interface: l.ifname }, value: l.replies })),
  });
  observedCounter(registry, {
    name: "vipmesh_l2_malformed_frames_total", help: "ARP and NDP frames dropped as malformed, by protocol, interface and decode error", labelNames: ["protocol", "interface", "reason"],
    read: () => links().flatMap((l) => byLabel<"protocol" | "interface" | "reason">("reason", l.malformed, { protocol: l.protocol, interface: l.ifname })),
  });
  observedCounter(registry, {
    name: "vipmesh_l2_conflicts_total", help: "Frames from another MAC answering or announcing a VIP this node owns, by VIP", labelNames: ["vip"],
    read: () => Object.entries(announcer.stats?.().conflicts.byVip ?? {}).map(([vip, c]) => ({ labels: { vip }, value: c.count })),
  });
  observedCounter(registry, {
    name: "vipmesh_l2_announcements_total", help: "Gratuitous ARP / unsolicited NA rounds sent, and rounds that failed", labelNames: ["result"],
    read: () => {
      const s = announcer.stats?.();
      return s ? byLabel("result", { sent: s.announcements, failed: s.announceErrors }) : [];
    },
  });
}

function registerBgp(registry: Registry, bgp: BgpAnnouncer): void {
  const peers = (): [string, BgpPeerStats][] => Object.entries(bgp.stats?.().peers ?? {}).map(([name, p]) => [p.address ?? name, p]);
  const perPeer = (f: (p: BgpPeerStats) => number | undefined) => (): Sample<"peer">[] =>
    peers().flatMap(([peer, p]) => (f(p) === undefined ? [] : [{ labels: { peer }, value: f(p) ?? 0 }]));
  observedGauge(registry, { name: "metallb_bgp_session_up", help: "BGP session state (1 is up, 0 is down)", labelNames: ["peer"], read: perPeer((p) => (p.state === "established" ? 1 : 0)) });
  observedCounter(registry, { name: "metallb_bgp_updates_total", help: "Number of BGP UPDATE messages sent", labelNames: ["peer"], read: perPeer((p) => p.updatesSent) });
  observedGauge(registry, { name: "metallb_bgp_announced_prefixes_total", help: "Number of prefixes currently being advertised on the BGP session", labelNames: ["peer"], read: perPeer((p) => p.prefixesSent) });
  observedGauge(registry, { name: "metallb_bfd_session_up", help: "BFD session state (1 is up, 0 is down), for peers naming a BFDProfile", labelNames: ["peer"], read: perPeer((p) => (p.bfd ? (p.bfd.state.toLowerCase() === "up" ? 1 : 0) : undefined)) });
  observedCounter(registry, { name: "metallb_bfd_session_up_events", help: "Times the BFD session came up", labelNames: ["peer"], read: perPeer((p) => p.bfd?.upCount) });
  observedCounter(registry, { name: "metallb_bfd_session_down_events", help: "Times the BFD session went down", labelNames: ["peer"], read: perPeer((p) => p.bfd?.downCount) });
  observedGauge(registry, { name: "vipmesh_bfd_session_suppressed", help: "1 while flap dampening suppresses the BFD session (not trusted: its BGP session stays down), for profiles with dampening", labelNames: ["peer"], read: perPeer((p) => (p.bfd?.dampening ? (p.bfd.dampening.suppressed ? 1 : 0) : undefined)) });
  observedGauge(registry, { name: "vipmesh_bfd_dampening_penalty", help: "The BFD session's flap penalty now (it decays with the profile's half-life), for profiles with dampening", labelNames: ["peer"], read: perPeer((p) => p.bfd?.dampening?.penalty) });
  observedCounter(registry, {
    name: "vipmesh_bgp_notifications_total", help: "BGP NOTIFICATIONs sent and received, by peer, direction, error code and subcode", labelNames: ["peer", "direction", "code", "subcode"],
    read: () => peers().flatMap(([peer, p]) => (["sent", "received"] as const).flatMap((direction) =>
      Object.entries(p.notifications?.[direction] ?? {}).map(([key, value]) => {
        const [code = "", subcode = ""] = key.split("/");
        return { labels: { peer, direction, code, subcode }, value };
      }),
    )),
  });
}
