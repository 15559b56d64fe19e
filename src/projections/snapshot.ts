import { createHash } from "node:crypto";
import type { LogState } from "./logState.js";
import { applyJoin, emptyVerdicts } from "./members/verdicts.js";

// A snapshot is the log projection as JSON with the EVENTS sequence it covers. The version changes
// whenever LogState's shape does, so an agent never loads a snapshot it would misread. It records the SHA-256 of the
// EVENTS message at that sequence (its anchor) and of the state, so a reader checks it against the stream before
// trusting it (a bucket anyone could write would otherwise decide what every restarting agent announces); only a
// replay of the log can prove the state itself (agents/snapshotAudit.ts).

// Version 5: claim chains' sequences count only the identity layout's subjects, and identity refusals are counted.
// Version 6: BGPPeer passwords are references (never values), and refusals for meaning are counted per reason.
// Version 7: each configuration source's objects (`configSources`, per-object configuration). A version 6 snapshot is
// still read: its log had only whole configurations, so the one in force is its source's objects (upcastV6State).
// Version 8: joins and watchers' verdicts (`verdicts`, `memberChains`, `lastVerdictRefusal`). A version 6 or 7
// snapshot is still read: its log held no verdicts, so each node with facts is alive at its facts' incarnation, as a
// replay of that log gives (upcastV7State; a join records no position for this reason, logState.ts).
export const SNAPSHOT_VERSION = 8;
export const READABLE_SNAPSHOT_VERSIONS: readonly number[] = [6, 7, SNAPSHOT_VERSION];

/** `messageSha256`: messageDigest of the EVENTS message at `seq`; null when the writer did not record one (never trusted). */
export type Snapshot = { version: number; seq: number; messageSha256: string | null; stateSha256: string; state: LogState };

const sha256 = (data: string | Uint8Array): string => createHash("sha256").update(data).digest("hex");

/** The digest a snapshot records of the message it covers: its sequence, subject and bytes. */
export function messageDigest(seq: number, subject: string, data: Uint8Array): string {
  return createHash("sha256").update(`${seq}\n${subject}\n`).update(data).digest("hex");
}

/** Stands for the configuration in force when it is its source's objects (`configSources`), so it is stored once. */
const IN_CONFIG_SOURCES = "configSources";

function storedForm(state: LogState): unknown {
  const applied = state.config;
  if (applied === null || state.configSources[applied.source]?.config !== applied.config) return state;
  return { ...state, config: { ...applied, config: IN_CONFIG_SOURCES } };
}

function restoredForm(state: LogState): LogState {
  const applied = state.config as (Omit<NonNullable<LogState["config"]>, "config"> & { config: unknown }) | null;
  if (applied === null || applied.config !== IN_CONFIG_SOURCES) return state;
  const config = state.configSources[applied.source]?.config;
  if (config === undefined) throw new SnapshotError(`snapshot names the configuration of source ${applied.source}, which it does not hold`);
  return { ...state, config: { ...applied, config } };
}

export function encodeSnapshot(state: LogState, messageSha256: string | null = null): string {
  const stateText = JSON.stringify(storedForm(state));
  return `{"version":${SNAPSHOT_VERSION},"seq":${state.seq},"messageSha256":${JSON.stringify(messageSha256)},"stateSha256":"${sha256(stateText)}","state":${stateText}}`;
}

/**
 * Why `snapshot` must not be trusted given the EVENTS message stored at its sequence (null: none is); null when its
 * anchor matches. An empty log's snapshot (sequence 0) has nothing to anchor to and covers nothing.
 */
export function snapshotAnchorProblem(snapshot: Snapshot, stored: { subject: string; data: Uint8Array } | null): string | null {
  if (snapshot.messageSha256 === null) return "the snapshot records no digest of the message it covers";
  if (stored === null) return `the stream holds no message at sequence ${snapshot.seq}`;
  if (messageDigest(snapshot.seq, stored.subject, stored.data) !== snapshot.messageSha256) return `the message at sequence ${snapshot.seq} does not match the snapshot's digest`;
  return null;
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
  if (!READABLE_SNAPSHOT_VERSIONS.includes(snap.version as number)) throw new SnapshotError(`snapshot version ${String(snap.version)}, expected ${READABLE_SNAPSHOT_VERSIONS.join(" or ")}`);
  if (typeof snap.seq !== "number" || typeof snap.state !== "object" || snap.state === null || snap.state.seq !== snap.seq) {
    throw new SnapshotError("snapshot seq and state do not agree");
  }
  if (snap.messageSha256 !== null && !(typeof snap.messageSha256 === "string" && /^[0-9a-f]{64}$/.test(snap.messageSha256))) throw new SnapshotError("snapshot message digest is not a SHA-256");
  if (snap.stateSha256 !== sha256(JSON.stringify(snap.state))) throw new SnapshotError("snapshot state does not match its digest");
  const state = snap.version === 6 ? upcastV6State(snap.state) : restoredForm(snap.state);
  return { ...(snap as Snapshot), state: snap.version === SNAPSHOT_VERSION ? state : upcastV7State(state) };
}

/** A version 6 or 7 state (before verdicts): every node with facts joined at their incarnation, nothing judged. */
function upcastV7State(state: Omit<LogState, "verdicts" | "memberChains" | "lastVerdictRefusal">): LogState {
  const verdicts = emptyVerdicts();
  for (const [node, facts] of Object.entries(state.nodeFacts ?? {})) applyJoin(verdicts, node, facts.incarnation, 0);
  return { ...state, verdicts, memberChains: {}, lastVerdictRefusal: null };
}

/** A version 6 state (before configSources): the configuration in force, as a ConfigApplied put it, is its source's. */
function upcastV6State(state: Omit<LogState, "configSources">): LogState {
  const applied = state.config;
  const configSources = applied === null ? {} : { [applied.source]: { chainSeq: 0, hash: applied.hash, config: applied.config, sorted: false, pending: null, abandonedEpochs: 0 } };
  return { ...state, configSources };
}
