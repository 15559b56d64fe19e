import { EVENTS_SUBJECTS, HEARTBEATS_SUBJECTS } from "./subjects.js";
import { SNAPSHOT_BUCKET } from "./permissions.js";
import { STREAMS } from "./types.js";

// What the log's streams and bucket must be for vipmesh to trust them (design.md, "Roles"): an agent checks this at
// start, on every reconnect and every few seconds, and refuses to run on a log whose history could be cut short,
// rewritten or made to forget (a stream set to keep one message, purgeable, unreplicated, with a shorter memory).

/** The settings an agent reads from the server (JetStream's names); absent ones count as the server's defaults. */
export type StreamConfigView = {
  name: string;
  subjects?: readonly string[];
  retention?: string;
  storage?: string;
  num_replicas?: number;
  max_age?: number;
  max_msgs?: number;
  max_bytes?: number;
  max_msgs_per_subject?: number;
  deny_delete?: boolean;
  deny_purge?: boolean;
  duplicate_window?: number;
  sealed?: boolean;
  allow_rollup_hdrs?: boolean;
  allow_msg_ttl?: boolean;
};

export type LogRequirements = {
  /** The fewest replicas a stream may have (the deployment's --replicas). */
  minReplicas: number;
  heartbeatsMaxAgeMs: number;
};

export const SNAPSHOT_STREAM = `KV_${SNAPSHOT_BUCKET}`;
export const EVENTS_DUPLICATE_WINDOW_MS = 120_000;
export const LOG_STREAMS = [STREAMS.events, STREAMS.heartbeats, SNAPSHOT_STREAM] as const;

/** One setting that differs: which stream, which field, what it is and what vipmesh needs. */
export type LogDifference = { stream: string; field: string; actual: unknown; wanted: string };

const NS = 1_000_000;

type Rule = { field: keyof StreamConfigView; wanted: string; ok: (v: unknown) => boolean };

const equals = (field: keyof StreamConfigView, value: unknown, fallback: unknown = undefined): Rule => ({
  field,
  wanted: JSON.stringify(value),
  ok: (v) => JSON.stringify(v ?? fallback) === JSON.stringify(value),
});
/** HEARTBEATS may be held in memory (presence, not history: streams.ts); everything else is on disk. */
const oneOf = (field: keyof StreamConfigView, values: readonly string[]): Rule => ({
  field,
  wanted: values.map((v) => JSON.stringify(v)).join(" or "),
  ok: (v) => values.includes(String(v)),
});
const atLeast = (field: keyof StreamConfigView, min: number): Rule => ({ field, wanted: `>= ${min}`, ok: (v) => typeof v === "number" && v >= min });
const unlimited = (field: keyof StreamConfigView): Rule => ({ field, wanted: "no limit (-1 or 0)", ok: (v) => v === undefined || v === -1 || v === 0 });
const off = (field: keyof StreamConfigView): Rule => ({ field, wanted: "false", ok: (v) => v !== true });

function rulesFor(stream: string, r: LogRequirements): Rule[] {
  const storage = stream === STREAMS.heartbeats ? oneOf("storage", ["file", "memory"]) : equals("storage", "file");
  const common = [storage, equals("retention", "limits", "limits"), atLeast("num_replicas", r.minReplicas), off("sealed"), off("allow_msg_ttl")];
  if (stream === STREAMS.events) {
    return [
      equals("subjects", [EVENTS_SUBJECTS]),
      ...common,
      equals("deny_delete", true),
      equals("deny_purge", true),
      off("allow_rollup_hdrs"),
      unlimited("max_age"),
      unlimited("max_msgs"),
      unlimited("max_bytes"),
      unlimited("max_msgs_per_subject"),
      atLeast("duplicate_window", EVENTS_DUPLICATE_WINDOW_MS * NS),
    ];
  }
  if (stream === STREAMS.heartbeats) {
    return [equals("subjects", [HEARTBEATS_SUBJECTS]), ...common, equals("max_age", r.heartbeatsMaxAgeMs * NS), unlimited("max_msgs"), unlimited("max_bytes")];
  }
  return [equals("subjects", [`$KV.${SNAPSHOT_BUCKET}.>`]), ...common];
}

/** Every setting of the log that differs from what vipmesh needs; a missing stream is one difference of its own. */
export function logDifferences(actual: Readonly<Record<string, StreamConfigView | null>>, r: LogRequirements): LogDifference[] {
  const out: LogDifference[] = [];
  for (const stream of LOG_STREAMS) {
    const config = actual[stream];
    if (!config) {
      out.push({ stream, field: "(stream)", actual: "missing", wanted: "present" });
      continue;
    }
    for (const rule of rulesFor(stream, r)) {
      const value = config[rule.field];
      if (!rule.ok(value)) out.push({ stream, field: rule.field, actual: value ?? null, wanted: rule.wanted });
    }
  }
  return out;
}

export function describeDifferences(diffs: readonly LogDifference[]): string {
  return diffs.map((d) => `${d.stream}.${d.field} is ${JSON.stringify(d.actual)}, needs ${d.wanted}`).join("; ");
}
