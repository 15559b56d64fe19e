import type { LogState } from "../logState.js";
import { decodeSnapshot, READABLE_SNAPSHOT_VERSIONS } from "../snapshot.js";
import { note, violation, type Finding } from "./findings.js";

// A snapshot in the bucket must equal the projection recomputed from the log at its sequence.

/** A stored snapshot as text, with where the bucket kept it. */
export type StoredSnapshot = { key: string; revision: number; text: string };

export type SnapshotWant = { snapshot: StoredSnapshot; seq: number; state: LogState | null; problem: string | null; otherVersion: unknown };

/** The version a stored snapshot says it has, if it says one. */
function versionOf(text: string): unknown {
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === "object" && parsed !== null ? (parsed as { version?: unknown }).version : undefined;
  } catch {
    return undefined;
  }
}

/** Decodes each stored snapshot; one that cannot be decoded is a finding of its own. */
export function snapshotWants(snapshots: readonly StoredSnapshot[]): SnapshotWant[] {
  return snapshots.map((snapshot) => {
    const version = versionOf(snapshot.text);
    // Agents ignore a snapshot of another shape's version and replay the log instead: nothing to compare.
    if (typeof version === "number" && !READABLE_SNAPSHOT_VERSIONS.includes(version)) return { snapshot, seq: 0, state: null, problem: null, otherVersion: version };
    try {
      const decoded = decodeSnapshot(snapshot.text);
      return { snapshot, seq: decoded.seq, state: decoded.state, problem: null, otherVersion: null };
    } catch (err) {
      return { snapshot, seq: 0, state: null, problem: (err as Error).message, otherVersion: null };
    }
  });
}

/** Object keys sorted, so two states compare by content, not by the order their records were created in. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}

/** Compares a snapshot with the projection recomputed at its sequence (null: the log never reached it). */
export function checkSnapshot(want: SnapshotWant, recomputed: LogState | null): Finding[] {
  const about = `${want.snapshot.key} revision ${want.snapshot.revision}`;
  if (want.otherVersion !== null) return [note("snapshot-mismatch", about, `not checked: the snapshot has version ${String(want.otherVersion)}, which this vipmesh does not read (agents ignore it too)`, [])];
  if (want.problem !== null) return [violation("snapshot-mismatch", about, `the stored snapshot cannot be read: ${want.problem}`, [])];
  if (recomputed === null) return [violation("snapshot-mismatch", about, `the snapshot covers EVENTS up to #${want.seq}, which the log never reached`, [])];
  if (canonical(recomputed) === canonical(want.state)) return [];
  const differing = Object.keys(recomputed).filter((k) => canonical((recomputed as Record<string, unknown>)[k]) !== canonical((want.state as Record<string, unknown> | null)?.[k]));
  return [violation("snapshot-mismatch", about, `the snapshot at EVENTS #${want.seq} differs from the projection recomputed from the log in: ${differing.join(", ")}`, [{ stream: "EVENTS", seq: want.seq, subject: "" }])];
}
