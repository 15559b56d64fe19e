import type { JetStreamClient } from "@nats-io/jetstream";
import { publishConfigChange, type SourceOnLog } from "../../adapters/nats/configChange.js";
import { guardConfigChange, type GuardDecision, type ReleaseGuardSettings } from "../../projections/ipam/releaseGuard.js";
import type { IpamState } from "../../projections/ipam/state.js";
import type { ClusterConfig } from "../../config/types.js";
import type { BuiltConfig } from "./kubeSource.js";
import { decidePublish, decodeConfigHash, encodeConfigHash, laggingKinds } from "./revisions.js";

// Publishes a Kubernetes configuration only when it is newer than the one on the log, as per-object events whose
// every message expects the last sequence of the source's chain (adapters/nats/configChange.ts): of replicas racing
// from the same position, one change is stored; the others read the winner and decide again. So every change on the
// chain dominates the one before it in every kind. Message ids name the transition, never the content alone.

export const KUBE_SOURCE = "kubernetes";

export type PublishOutcome =
  | { kind: "published"; hash: string; seq: number; objects: number; bytes: number }
  | { kind: "unchanged" }
  | { kind: "stale"; lagging: number[] }
  | { kind: "conflict" }
  | { kind: "held"; decision: Extract<GuardDecision, { kind: "hold" }> }
  | { kind: "failed"; error: string };

/** The allocations and the configuration in force (any source) a change is judged against, and the guard's settings. */
export type PublishGuard = { ipam: IpamState; current: ClusterConfig | null; settings: ReleaseGuardSettings };

/**
 * `last`: the Kubernetes source on the log as the caller's projection has it. `guard`: a change that would release
 * too many allocations is held, not published.
 */
export async function publishIfNewer(js: JetStreamClient, built: BuiltConfig, last: SourceOnLog, guard?: PublishGuard): Promise<PublishOutcome> {
  const decision = decidePublish(built.contentHash, built.revisions, last.hash);
  if (decision === "unchanged") return { kind: "unchanged" };
  if (decision === "stale") return { kind: "stale", lagging: laggingKinds(built.revisions, decodeConfigHash(last.hash ?? "")?.revisions ?? []) };
  const guarded = guard ? guardConfigChange(guard.ipam, guard.current, built.config, guard.settings, false) : null;
  if (guarded?.kind === "hold") return { kind: "held", decision: guarded };
  const hash = encodeConfigHash(built.contentHash, built.revisions);
  const result = await publishConfigChange(js, KUBE_SOURCE, last, built.config, hash, built.revisions.join("."));
  switch (result.kind) {
    case "published":
      return { kind: "published", hash, seq: result.seq, objects: result.objects, bytes: result.bytes };
    case "unchanged":
      return { kind: "unchanged" };
    case "conflict":
      return { kind: "conflict" };
    default:
      return { kind: "failed", error: result.error };
  }
}
