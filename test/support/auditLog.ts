import { encodeEvent } from "../../src/events/codec.js";
import { decodeHeartbeatEntries, decodeLogEntries, type RawEntry } from "../../src/events/entries.js";
import { subjects } from "../../src/events/subjects.js";
import type { ClusterConfig } from "../../src/config/types.js";
import type { ClaimReason, DomainEvent } from "../../src/events/types.js";
import { Auditor, type AuditSettings } from "../../src/projections/audit/audit.js";
import type { AuditReport, Finding } from "../../src/projections/audit/findings.js";
import type { StoredSnapshot } from "../../src/projections/audit/snapshotChecks.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";

// Hand-built logs for the audit's unit tests: both streams on one clock, events written where the test says.

export const T0 = 1_700_000_000_000;

export const AUDIT_SETTINGS: AuditSettings = { membership: DEFAULT_MEMBERSHIP_SETTINGS, handoverBoundMs: 250 };

export class AuditLog {
  readonly events: RawEntry[] = [];
  readonly heartbeats: RawEntry[] = [];
  /** HEARTBEATS sequences start here: above 1 means the first ones have aged out. */
  constructor(private heartbeatSeq = 1) {}

  event(subject: string, event: DomainEvent, at: number): number {
    const seq = this.events.length + 1;
    this.events.push({ meta: { stream: "EVENTS", seq, time: T0 + at, subject }, data: encodeEvent(event) });
    return seq;
  }

  raw(subject: string, text: string, at: number): number {
    const seq = this.events.length + 1;
    this.events.push({ meta: { stream: "EVENTS", seq, time: T0 + at, subject }, data: new TextEncoder().encode(text) });
    return seq;
  }

  /**
   * A beat of every node listed, every `every` ms over [from, to); returns the last sequence written. Without
   * `health` the beats are an old speaker's (v2, with interfaces: no Lifeguard); with it, v4 reporting that score.
   */
  beats(nodes: readonly string[], from: number, to: number, every = 50, incarnation = 1, health: number | null = null): number {
    for (let at = from; at < to; at += every) {
      for (const node of nodes) {
        const base = { node, incarnation, beat: at + 1, ready: true, version: "test" };
        const data = health === null ? { ...base, health: null, interfaces: [] } : { ...base, health };
        this.heartbeats.push({ meta: { stream: "HEARTBEATS", seq: this.heartbeatSeq++, time: T0 + at, subject: subjects.heartbeat(node) }, data: encodeEvent({ type: "NodeHeartbeatRecorded", data }) });
      }
    }
    return this.heartbeatSeq - 1;
  }

  config(config: ClusterConfig, at: number, hash = `h${at}`, source = "file"): number {
    return this.event(subjects.config(source), { type: "ConfigApplied", data: { source, hash, config } }, at);
  }

  /** `service` gets `ip` from pool "p" (sharing with nobody), as an allocator would record it. */
  allocate(ip: string, service: string, at: number): number {
    const data = { ip, service, pool: "p", reason: "auto-assign" as const, sharing: { key: null, backendKey: "", ports: ["TCP/80"] }, lbClass: null, evidence: { allocator: "alloc-a", configHash: "h", observedSeq: 1 } };
    return this.event(subjects.ipClaim(ip, "alloc-a"), { type: "IpAllocated", data }, at);
  }

  claim(c: { vip: string; node: string; term: number; reason: ClaimReason; from: string | null; position: number; at: number; incarnation?: number }): number {
    const evidence = { previousOwner: c.from, previousOwnerStatus: c.from ? "dead" : null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: T0 + c.at, heartbeatSeq: c.position, eligibleNodes: 2 };
    const data = { vip: c.vip, node: c.node, incarnation: c.incarnation ?? 1, term: c.term, reason: c.reason, evidence };
    return this.event(subjects.vipClaim(c.vip, c.node), { type: "VipClaimed", data }, c.at);
  }

  audit(snapshots: StoredSnapshot[] = [], settings: AuditSettings = AUDIT_SETTINGS): AuditReport {
    const auditor = new Auditor(settings, snapshots);
    auditor.applyEvents(decodeLogEntries(this.events, auditor.invalid));
    auditor.applyHeartbeats(decodeHeartbeatEntries(this.heartbeats, () => undefined));
    return auditor.finish();
  }
}

export const violations = (r: AuditReport): Finding[] => r.findings.filter((f) => f.level === "violation");
export const ofCheck = (r: AuditReport, check: Finding["check"]): Finding[] => r.findings.filter((f) => f.check === check);
