import { encodeEvent } from "../../src/events/codec.js";
import { chainOf, subjects } from "../../src/events/subjects.js";
import type { DomainEvent, InterfaceFact, MembershipMode, StreamName } from "../../src/events/types.js";
import type { RawEntry } from "../../src/events/entries.js";
import type { ClusterConfig } from "../../src/config/types.js";
import { claimEvent } from "../../src/projections/ipam/claims.js";
import { planIpam } from "../../src/projections/ipam/plan.js";
import { pool, service } from "./ipamFixtures.js";
import { SpeakerView } from "../../src/agents/speaker/view.js";
import { planClaims, type PlannedClaim } from "../../src/projections/ownershipPlan.js";
import { DEFAULT_MEMBERSHIP_SETTINGS, type MembershipSettings } from "../../src/projections/settings.js";

// A deterministic in-memory cluster for unit tests of the pure core: two logs with stream-like sequence
// numbers and timestamps, nodes that beat on a schedule, and claims appended with the same
// compare-and-set rule JetStream applies. Time is a number the test moves.

export function nodeInterfaces(index: number): InterfaceFact[] {
  return [{ name: "eth0", mac: `02:00:00:00:00:${index.toString(16).padStart(2, "0")}`, up: true, answerable: true, routes: [], addresses: [`198.18.${Math.floor(index / 200)}.${10 + (index % 200)}/16`] }];
}

export function vipAddress(i: number): string {
  return `198.18.${8 + Math.floor(i / 250)}.${(i % 250) + 1}`;
}

export function labConfig(vips: number, nodes: string[] = []): ClusterConfig {
  return {
    pools: [pool("lab", ["198.18.8.0/21"])],
    l2Advertisements: [{ name: "l2", ipAddressPools: ["lab"], ipAddressPoolSelectors: [], nodeSelectors: [], serviceSelectors: [], preferredNodeSelectors: [], interfaces: [] }],
    services: Array.from({ length: vips }, (_, i) => service(`svc${i}`, { requestedIps: [vipAddress(i)] })),
    nodes: nodes.map((name) => ({ name, labels: {}, ready: true, networkUnavailable: false })),
    namespaces: [],
  };
}

/** `health`: the Lifeguard score the node's beats report (0 unless a test makes it late). */
type SimNode = { name: string; index: number; incarnation: number; beat: number; up: boolean; health: number };

export class SimCluster {
  readonly events: RawEntry[] = [];
  readonly heartbeats: RawEntry[] = [];
  readonly nodes = new Map<string, SimNode>();
  readonly view: SpeakerView;
  time = 1_700_000_000_000;
  private readonly subjectSeq = new Map<string, number>();

  constructor(readonly settings: MembershipSettings = DEFAULT_MEMBERSHIP_SETTINGS, readonly mode: MembershipMode = "heartbeats") {
    this.view = new SpeakerView(settings, () => undefined, undefined, mode);
  }

  append(stream: StreamName, subject: string, event: DomainEvent, expectLastSubjectSeq?: number): number | null {
    const log = stream === "EVENTS" ? this.events : this.heartbeats;
    const guarded = chainOf(subject) ?? subject;
    if (expectLastSubjectSeq !== undefined && (this.subjectSeq.get(guarded) ?? 0) !== expectLastSubjectSeq) return null;
    const seq = log.length + 1;
    const entry = { meta: { stream, seq, time: this.time, subject }, data: encodeEvent(event) };
    log.push(entry);
    this.subjectSeq.set(guarded, seq);
    if (stream === "EVENTS") this.view.applyLog([entry], true);
    else this.view.applyHeartbeats([entry], true);
    return seq;
  }

  /** Publishes the configuration, then allocates its Services' IPs as an allocator would (VIPs come from allocations). */
  applyConfig(config: ClusterConfig): void {
    this.append("EVENTS", subjects.config("file"), { type: "ConfigApplied", data: { source: "file", hash: `h${this.events.length}`, config } });
    this.allocateIps();
  }

  allocateIps(): void {
    for (let round = 0; round < 100; round++) {
      const plan = planIpam(this.view.log, { lbClass: null });
      if (plan.actions.length === 0) return;
      const ctx = { allocator: "sim", configHash: this.view.log.config?.hash ?? null, observedSeq: this.view.log.seq, lbClass: null };
      for (const a of plan.actions) this.append("EVENTS", subjects.ipClaim(a.ip, ctx.allocator), claimEvent(a, ctx), a.expectedSubjectSeq);
    }
  }

  addNode(name: string, incarnation = 1): void {
    this.nodes.set(name, { name, index: this.nodes.size + 1, incarnation, beat: 0, up: true, health: 0 });
  }

  /** One heartbeat interval in which every up node beats and nobody claims. */
  beatWithoutClaiming(): void {
    for (const n of this.nodes.values()) {
      if (!n.up) continue;
      this.time += this.settings.heartbeatIntervalMs / Math.max(1, this.nodes.size);
      if (n.beat === 0) this.publishFacts(n);
      n.beat++;
      this.append("HEARTBEATS", subjects.heartbeat(n.name), { type: "NodeHeartbeatRecorded", data: { node: n.name, incarnation: n.incarnation, beat: n.beat, ready: true, version: "test", health: n.health } });
    }
  }

  /** Advances time in heartbeat-interval steps; every up node beats, then every up node publishes its planned claims. */
  run(ms: number): void {
    const step = this.settings.heartbeatIntervalMs;
    for (let t = 0; t < ms; t += step) {
      for (const n of this.nodes.values()) {
        if (!n.up) continue;
        this.time += step / Math.max(1, this.nodes.size);
        if (n.beat === 0) this.publishFacts(n); // a speaker's interfaces go to EVENTS when it starts
        n.beat++;
        this.append("HEARTBEATS", subjects.heartbeat(n.name), {
          type: "NodeHeartbeatRecorded",
          data: { node: n.name, incarnation: n.incarnation, beat: n.beat, ready: true, version: "test", health: n.health },
        });
        this.claimAll();
      }
    }
  }

  publishFacts(n: SimNode): void {
    this.append("EVENTS", subjects.nodeLifecycle(n.name), { type: "NodeFactsChanged", data: { node: n.name, incarnation: n.incarnation, version: "test", interfaces: nodeInterfaces(n.index), ...(this.mode === "verdicts" ? { membership: this.mode } : {}) } });
  }

  claimAll(): void {
    for (const c of planClaims(this.view.log, this.view.planMembers, this.settings)) {
      const n = this.nodes.get(c.node);
      if (n?.up) this.claim(c, n.name, n.incarnation);
    }
  }

  /** Publishes the claims the plan gives `node`, a node beating by hand (not one of `nodes`). */
  claimAllFor(node: string): void {
    const incarnation = this.view.members.nodes[node]?.incarnation ?? 0;
    for (const c of planClaims(this.view.log, this.view.members, this.settings)) if (c.node === node) this.claim(c, node, incarnation);
  }

  private claim(c: PlannedClaim, node: string, incarnation: number): void {
    this.append("EVENTS", subjects.vipClaim(c.vip, node), {
      type: "VipClaimed",
      data: { vip: c.vip, node, incarnation, term: c.term, reason: c.reason, evidence: c.evidence },
    }, c.expectedSubjectSeq);
  }

  stall(ms: number): void {
    this.time += ms;
  }

  kill(name: string): void {
    const n = this.nodes.get(name);
    if (n) n.up = false;
  }

  restart(name: string): void {
    const n = this.nodes.get(name);
    if (n) Object.assign(n, { up: true, incarnation: n.incarnation + 1, beat: 0 });
  }

  /** The speaker announces a restart in place and stops; `restart` brings the new process. */
  restartInPlace(name: string, graceMs: number): void {
    const n = this.nodes.get(name);
    if (!n) return;
    this.append("EVENTS", subjects.nodeLifecycle(name), { type: "NodeRestarting", data: { node: name, incarnation: n.incarnation, graceMs } });
    n.up = false;
  }

  /** The same process comes back (a late reconnect): same incarnation, beats continue. */
  resume(name: string): void {
    const n = this.nodes.get(name);
    if (n) n.up = true;
  }

  leave(name: string): void {
    const n = this.nodes.get(name);
    if (!n) return;
    this.append("EVENTS", subjects.nodeLifecycle(name), { type: "NodeLeft", data: { node: name, incarnation: n.incarnation, reason: "shutdown" } });
    n.up = false;
  }

  owners(): Record<string, string | null> {
    return Object.fromEntries(Object.entries(this.view.log.vips).map(([vip, r]) => [vip, r.owner]));
  }

  load(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const owner of Object.values(this.owners())) if (owner) counts.set(owner, (counts.get(owner) ?? 0) + 1);
    return counts;
  }
}
