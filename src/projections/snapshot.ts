import type { LogState } from "./logState.js";

// A snapshot is the log projection as JSON with the EVENTS sequence it covers. The version changes
// whenever LogState's shape does, so an agent never loads a snapshot it would misread.

// Version 5: claim chains' sequences count only the identity layout's subjects, and identity refusals are counted.
// Version 6: BGPPeer passwords are references (never values), and refusals for meaning are counted per reason.
export const SNAPSHOT_VERSION = 6;

export type Snapshot = { version: number; seq: number; state: LogState };

export function encodeSnapshot(state: LogState): string {
  return JSON.stringify({ version: SNAPSHOT_VERSION, seq: state.seq, state });
}

export class SnapshotError extends Error {
  readonly code = "INVALID_SNAPSHOT";
}

export function decodeSnapshot(text: string): Snapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new SnapshotError(`snapshot is not JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== "object" || parsed === null) throw new SnapshotError("snapshot is not an object");
  const snap = parsed as Partial<Snapshot>;
  if (snap.version !== SNAPSHOT_VERSION) throw new SnapshotError(`snapshot version ${String(snap.version)}, expected ${SNAPSHOT_VERSION}`);
  if (typeof snap.seq !== "number" || typeof snap.state !== "object" || snap.state === null || snap.state.seq !== snap.seq) {
    throw new SnapshotError("snapshot seq and state do not agree");
  }
  return snap as Snapshot;
}
