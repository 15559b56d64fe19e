import type { JetStreamClient } from "@nats-io/jetstream";
import { encodeEvent } from "../events/codec.js";
import { subjects } from "../events/subjects.js";
import type { ClaimReason, DomainEvent } from "../events/types.js";
import type { AuditCheck } from "../projections/audit/findings.js";

// A cluster simulated on the wall clock, writing real events to a real nats-server as its speakers and allocator
// would: every live node beats each round, and the lab's fault matrix plays out meanwhile (a node killed and back as
// a new incarnation, cut off and fenced, drained, a Service renumbered by its own edit, conflicts), with anomalies
// injected among them. Silences last a whole second, so the log's own times show every owner dead before its claim.

export type Injected = { check: AuditCheck; seq: number };

type Node = { name: string; incarnation: number; beat: number; up: boolean };
type Vip = { ip: string; owner: string; term: number };
type Step = { at: number; run: () => Promise<void> };

const SILENCE_MS = 1_000;
const BACK_AFTER_MS = 2_000;
const sharing = { key: null, backendKey: "", ports: ["TCP/80"] };

export const vipOf = (i: number): string => `198.18.${8 + Math.floor(i / 250)}.${(i % 250) + 1}`;

export class ClusterSim {
  readonly injected: Injected[] = [];
  published = 0;
  private lastBeatSeq = 0;
  private readonly nodes: Node[];
  private readonly vips: Vip[];
  private steps: Step[] = [];
  private cursor = 0;

  constructor(
    private readonly js: JetStreamClient,
    nodeCount: number,
    vipCount: number,
  ) {
    this.nodes = Array.from({ length: nodeCount }, (_, i) => ({ name: `node${i}`, incarnation: 1, beat: 0, up: true }));
    this.vips = Array.from({ length: vipCount }, (_, i) => ({ ip: vipOf(i), owner: `node${i % nodeCount}`, term: 0 }));
  }

  async publish(subject: string, event: DomainEvent): Promise<number> {
    const ack = await this.js.publish(subject, encodeEvent(event), { timeout: 30_000 });
    this.published++;
    return ack.seq;
  }

  /** The configuration, an allocation per VIP (and per spare Service), and the first claim of each VIP. */
  async setUp(config: DomainEvent, allocations: readonly { ip: string; service: string }[]): Promise<void> {
    await this.publish(subjects.config("file"), config);
    for (const a of allocations) await this.allocate(a.ip, a.service);
    await this.round();
    for (const v of this.vips) await this.claim(v, v.owner, "unowned");
  }

  allocate(ip: string, service: string): Promise<number> {
    return this.publish(subjects.ipClaim(ip, "bench"), { type: "IpAllocated", data: { ip, service, pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence: { allocator: "bench", configHash: "h", observedSeq: 0 } } });
  }

  release(ip: string, service: string): Promise<number> {
    return this.publish(subjects.ipClaim(ip, "bench"), { type: "IpReleased", data: { ip, service, reason: "request-changed", detail: "bench", evidence: { allocator: "bench", configHash: "h", observedSeq: 0 } } });
  }

  /** One beat of every live node. */
  async round(): Promise<void> {
    const acks = this.nodes.filter((n) => n.up).map((n) => {
      n.beat++;
      return this.publish(subjects.heartbeat(n.name), { type: "NodeHeartbeatRecorded", data: { node: n.name, incarnation: n.incarnation, beat: n.beat, ready: true, version: "bench", health: 0, interfaces: [] } });
    });
    for (const seq of await Promise.all(acks)) this.lastBeatSeq = Math.max(this.lastBeatSeq, seq);
  }

  /** Runs the steps that are due; true while any is still waiting. */
  async due(now: number): Promise<boolean> {
    const ready = this.steps.filter((s) => s.at <= now);
    this.steps = this.steps.filter((s) => s.at > now);
    for (const s of ready) await s.run();
    return this.steps.length > 0;
  }

  get busy(): boolean {
    return this.steps.length > 0;
  }

  later(at: number, run: () => Promise<void>): void {
    this.steps.push({ at, run });
  }

  node(name: string): Node {
    const n = this.nodes.find((x) => x.name === name);
    if (!n) throw new Error(`no node ${name}`);
    return n;
  }

  /** A live node other than `not`, taking turns. */
  other(not: string): string {
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[(this.cursor++ + i) % this.nodes.length] as Node;
      if (n.up && n.name !== not) return n.name;
    }
    throw new Error("no live node left");
  }

  vipsOf(node: string): Vip[] {
    return this.vips.filter((v) => v.owner === node);
  }

  vip(i: number): Vip {
    return this.vips[i % this.vips.length] as Vip;
  }

  /** A claim as the claimant would make it, at the heartbeat position it has reached; the sim's owner moves. */
  async claim(v: Vip, by: string, reason: ClaimReason, term = v.term + 1): Promise<number> {
    const from = reason === "unowned" ? null : v.owner;
    const evidence = { previousOwner: from, previousOwnerStatus: from ? "dead" : null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: this.lastBeatSeq, eligibleNodes: this.nodes.length - 1 };
    const seq = await this.publish(subjects.vipClaim(v.ip, by), { type: "VipClaimed", data: { vip: v.ip, node: by, incarnation: this.node(by).incarnation, term, reason, evidence } });
    if (term === v.term + 1) Object.assign(v, { owner: by, term });
    return seq;
  }

  /** The owner goes silent; its VIPs are claimed once it is dead; it comes back as a new incarnation (a crash). */
  kill(name: string, now: number): void {
    const n = this.node(name);
    n.up = false;
    this.later(now + SILENCE_MS, async () => {
      for (const v of this.vipsOf(name)) await this.claim(v, this.other(name), "owner-dead");
    });
    this.later(now + BACK_AFTER_MS, async () => {
      Object.assign(n, { up: true, incarnation: n.incarnation + 1, beat: 0 });
    });
  }

  /** Cut off from the log: fences (or, injected, does not), is claimed away, and comes back as the same incarnation. */
  cutOff(name: string, now: number, fences: boolean): void {
    const n = this.node(name);
    n.up = false;
    const enteredAt = Date.now();
    const reason = "the log is away and peers still reach it";
    if (fences) this.later(now, async () => void (await this.publish(subjects.announce(name), { type: "FenceEntered", data: { node: name, incarnation: n.incarnation, reason, at: enteredAt } })));
    this.later(now + SILENCE_MS, async () => {
      for (const v of this.vipsOf(name)) {
        const seq = await this.claim(v, this.other(name), "owner-dead");
        if (!fences) this.injected.push({ check: "two-owners", seq });
      }
    });
    this.later(now + BACK_AFTER_MS, async () => {
      n.up = true;
      if (fences) await this.publish(subjects.announce(name), { type: "FenceLeft", data: { node: name, incarnation: n.incarnation, reason, enteredAt, leftAt: Date.now(), unfenceReason: "the log is back and caught up" } });
    });
  }

  /** A drain: the node leaves, its VIPs are claimed as owner-left, and it comes back later as a new incarnation. */
  async drain(name: string, now: number): Promise<void> {
    const n = this.node(name);
    await this.publish(subjects.nodeLifecycle(name), { type: "NodeLeft", data: { node: name, incarnation: n.incarnation, reason: "drain" } });
    for (const v of this.vipsOf(name)) await this.claim(v, this.other(name), "owner-left");
    n.up = false;
    this.later(now + BACK_AFTER_MS, async () => {
      Object.assign(n, { up: true, incarnation: n.incarnation + 1, beat: 0 });
    });
  }

  async conflict(v: Vip): Promise<void> {
    await this.publish(subjects.conflict(v.ip, v.owner), { type: "VipConflictObserved", data: { vip: v.ip, node: v.owner, otherMac: "02:00:5e:00:53:01", ifname: "eth0", count: 3 } });
  }

  /** Injected: a second claim of the VIP's current term, written past the compare-and-set. */
  async duplicateClaim(v: Vip): Promise<void> {
    const seq = await this.claim(v, this.other(v.owner), "owner-dead", v.term);
    this.injected.push({ check: "claim-term", seq });
  }

  /** Injected: an owner-dead claim while the owner keeps beating. */
  async falseClaim(v: Vip): Promise<void> {
    if (!this.node(v.owner).up) return;
    const seq = await this.claim(v, this.other(v.owner), "owner-dead");
    this.injected.push({ check: "claim-unjustified", seq });
  }
}
