import type { EventMeta, StreamName } from "../../events/types.js";

// What `vipmesh audit` reports. A violation breaks an invariant the design promises (exit status 1); a note says
// what could not be checked (its evidence aged out of HEARTBEATS); a listing is what an operator should see
// whether or not anything is wrong (refused events, pool edits, conflicts, fencing episodes).

export const AUDIT_CHECKS = [
  "two-owners",
  "claim-term",
  "claim-unjustified",
  "ip-shared",
  "allocation-moved",
  "config-went-back",
  "snapshot-mismatch",
  "pool-left-outside",
  "refused",
  "conflict",
  "fencing",
] as const;
export type AuditCheck = (typeof AUDIT_CHECKS)[number];

export type FindingLevel = "violation" | "note" | "listing";

/** Where on the log a finding's evidence is. */
export type EventRef = { stream: StreamName; seq: number; subject: string };

export type Finding = {
  check: AuditCheck;
  level: FindingLevel;
  /** The VIP, IP, node, source or snapshot key it concerns. */
  about: string;
  message: string;
  /** The events that show it, in log order. */
  events: EventRef[];
  /** For episodes (conflicts, fencing, two owners): how long it lasted, when known. */
  durationMs?: number;
  /** When it began, if that is not an event's log time (a fencing episode: the speaker's own clock), ms since the epoch. */
  at?: number;
};

export type AuditReport = {
  findings: Finding[];
  counts: { events: number; heartbeats: number; snapshots: number; violations: number; notes: number; listings: number };
};

export const refOf = (meta: EventMeta): EventRef => ({ stream: meta.stream, seq: meta.seq, subject: meta.subject });

export const violation = (check: AuditCheck, about: string, message: string, events: EventRef[], durationMs?: number): Finding => ({
  check,
  level: "violation",
  about,
  message,
  events,
  ...(durationMs !== undefined ? { durationMs } : {}),
});

export const note = (check: AuditCheck, about: string, message: string, events: EventRef[]): Finding => ({ check, level: "note", about, message, events });

export const listing = (check: AuditCheck, about: string, message: string, events: EventRef[], durationMs?: number, at?: number): Finding => ({
  check,
  level: "listing",
  about,
  message,
  events,
  ...(durationMs !== undefined ? { durationMs } : {}),
  ...(at !== undefined ? { at } : {}),
});
