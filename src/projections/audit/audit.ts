import type { Draft } from "immer";
import type { InvalidEvent } from "../../events/codec.js";
import type { Decoded } from "../../events/entries.js";
import type { EventMeta, LogEvent, NodeHeartbeatRecorded } from "../../events/types.js";
import { applyInvalidLogMessage, applyLogEvent, emptyLogState, type LogState } from "../logState.js";
import type { MembershipSettings } from "../settings.js";
import { AllocationAudit } from "./allocationChecks.js";
import { checkClaim, type DeathClaim } from "./claimChecks.js";
import { ConfigRevisions } from "./configChecks.js";
import { Episodes } from "./episodes.js";
import { listing, refOf, type AuditReport, type EventRef, type Finding } from "./findings.js";
import { MembershipEvidence } from "./membershipEvidence.js";
import { checkSnapshot, snapshotWants, type SnapshotWant, type StoredSnapshot } from "./snapshotChecks.js";

// `vipmesh audit`, pure: EVENTS replayed through the agents' own reducers (on a private mutable state, as
// LogReplayer does), each event checked against the state before it; then HEARTBEATS, which settle the owner-dead
// claims. Feed all of EVENTS first, then all of HEARTBEATS, then call finish().

export type AuditSettings = {
  membership: MembershipSettings;
  /** How long after a claim an owner that was cut off may still begin fencing (docs/design.md, "Audit"). */
  handoverBoundMs: number;
};

export class Auditor {
  private readonly state: LogState = emptyLogState();
  private readonly draft = this.state as Draft<LogState>;
  private readonly holders = new Map<string, EventRef>();
  private readonly deaths: DeathClaim[] = [];
  private readonly findings: Finding[] = [];
  private readonly allocations = new AllocationAudit();
  private readonly revisions = new ConfigRevisions();
  private readonly episodes = new Episodes();
  private readonly wants: SnapshotWant[];
  private nextWant = 0;
  private membership: MembershipEvidence | null = null;
  private counts = { events: 0, heartbeats: 0 };

  constructor(
    private readonly settings: AuditSettings,
    snapshots: readonly StoredSnapshot[],
  ) {
    this.wants = snapshotWants(snapshots).sort((a, b) => a.seq - b.seq);
  }

  /** For decodeLogEntries' onInvalid: a message the boundary refused, listed with its reason. */
  readonly invalid = (i: InvalidEvent): void => {
    this.findings.push(listing("refused", i.meta.subject, `message skipped: ${i.reason}: ${i.detail}`, [refOf(i.meta)]));
  };

  applyEvents(batch: readonly Decoded<LogEvent>[]): void {
    for (const { meta, event } of batch) {
      this.settleSnapshots(meta.seq - 1);
      this.counts.events++;
      if (event) this.applyEvent(event, meta);
      else applyInvalidLogMessage(this.draft, meta);
    }
  }

  applyHeartbeats(batch: readonly Decoded<NodeHeartbeatRecorded>[]): void {
    this.counts.heartbeats += batch.length;
    this.evidence().apply(batch);
  }

  finish(): AuditReport {
    this.settleSnapshots(this.state.seq);
    for (const want of this.wants.slice(this.nextWant)) this.findings.push(...checkSnapshot(want, null));
    const findings = [...this.findings, ...this.allocations.finish(this.state.ipam), ...this.evidence().finish(this.episodes.fenceSpans), ...this.episodes.findings()];
    const count = (level: Finding["level"]): number => findings.filter((f) => f.level === level).length;
    return {
      findings,
      counts: { ...this.counts, snapshots: this.wants.length, violations: count("violation"), notes: count("note"), listings: count("listing") },
    };
  }

  private evidence(): MembershipEvidence {
    return (this.membership ??= new MembershipEvidence(this.deaths, this.settings.membership, this.settings.handoverBoundMs));
  }

  private applyEvent(event: LogEvent, meta: EventMeta): void {
    const claimBefore = event.type === "VipClaimed" ? this.claimContext(event.data.vip, event.data.node) : null;
    if (meta.seq <= this.state.seq) return;
    const configBefore = this.state.config;
    applyLogEvent(this.draft, event, meta);
    const refused = this.refusal(event, meta.seq);
    if (refused !== null) {
      this.findings.push(listing("refused", aboutOf(event, meta.subject), refused, [refOf(meta)]));
      return;
    }
    this.checkAccepted(event, meta, claimBefore);
    if ((event.type === "ConfigObjectChanged" || event.type === "ConfigObjectDeleted") && this.state.config !== configBefore) {
      this.findings.push(...this.allocations.configApplied(meta, this.state.config, this.state.ipam));
    }
  }

  /** What a claim is judged against: the VIP's record and holder, the leaves, and for a claimant in verdicts mode the owner's verdict. */
  private claimContext(vip: string, claimant: string): Parameters<typeof checkClaim>[2] {
    const record = copyOf(this.state.vips[vip]);
    const base = { record, holder: this.holders.get(vip) ?? null, left: { ...this.state.left } };
    if (this.state.nodeFacts?.[claimant]?.membership !== "verdicts") return base;
    const owner = record?.owner ?? null;
    const judged = owner === null ? undefined : this.state.verdicts?.targets[owner];
    return { ...base, verdicts: { owner: judged === undefined ? undefined : { ...judged } } };
  }

  /** Why the projection just refused the event at `seq` (subject and payload disagree, meaning, IPAM's rules), if it did. */
  private refusal(event: LogEvent, seq: number): string | null {
    const s = this.state;
    if (s.lastIdentityRefusal?.seq === seq) return `${event.type} refused: ${s.lastIdentityRefusal.why}`;
    if (s.lastRefusal?.seq === seq) return `${event.type} refused: ${s.lastRefusal.reason}: ${s.lastRefusal.detail}`;
    if (s.lastVerdictRefusal?.seq === seq && (event.type === "NodeSuspected" || event.type === "NodeDeclaredDead" || event.type === "NodeAlive")) {
      return `${event.type} on ${event.data.target} by ${event.data.watcher} refused: ${s.lastVerdictRefusal.reason}`;
    }
    if (s.ipam.lastRejection?.seq === seq && (event.type === "IpAllocated" || event.type === "IpReleased")) {
      return `${event.type === "IpAllocated" ? "allocation" : "release"} of ${event.data.ip} for ${event.data.service} refused: ${s.ipam.lastRejection.why}`;
    }
    return null;
  }

  private checkAccepted(event: LogEvent, meta: EventMeta, claimBefore: Parameters<typeof checkClaim>[2] | null): void {
    switch (event.type) {
      case "VipClaimed": {
        const verdict = checkClaim(event, meta, claimBefore ?? { record: undefined, holder: null, left: {} });
        this.findings.push(...verdict.findings);
        if (verdict.death) this.deaths.push(verdict.death);
        const accepted = event.data.term === (claimBefore?.record?.term ?? 0) + 1;
        if (accepted) this.holders.set(event.data.vip, refOf(meta));
        return;
      }
      case "IpAllocated":
        return this.allocations.allocated(event, meta, this.state.config);
      case "IpReleased":
        this.findings.push(...this.allocations.released(event, meta, this.state.config));
        return;
      case "ConfigApplied":
        this.findings.push(...this.revisions.applied(event, meta), ...this.allocations.configApplied(meta, this.state.config, this.state.ipam));
        return;
      case "ConfigObjectChanged":
      case "ConfigObjectDeleted":
        this.findings.push(...this.revisions.object(event, meta));
        return;
      case "VipConflictObserved":
        return this.episodes.conflict(event, meta);
      case "FenceEntered":
        return this.episodes.fenceEntered(event, meta);
      case "FenceLeft":
        return this.episodes.fenceLeft(event, meta);
      default:
        return;
    }
  }

  /** Compares every snapshot taken at or before `seq` with the state, which now stands at the last event before it. */
  private settleSnapshots(seq: number): void {
    while (this.nextWant < this.wants.length && (this.wants[this.nextWant]?.seq ?? Infinity) <= seq) {
      const want = this.wants[this.nextWant++] as SnapshotWant;
      this.findings.push(...checkSnapshot(want, want.problem === null ? this.state : null));
    }
  }
}

function aboutOf(event: LogEvent, subject: string): string {
  switch (event.type) {
    case "VipClaimed":
    case "VipConflictObserved":
      return event.data.vip;
    case "IpAllocated":
    case "IpReleased":
      return event.data.ip;
    default:
      return subject;
  }
}

const copyOf = <T extends object>(value: T | undefined): T | undefined => (value ? { ...value } : undefined);
