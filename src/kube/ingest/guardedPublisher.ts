import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { loggedConfig, publishConfigAfter, type LoggedConfig } from "../../adapters/nats/loggedConfig.js";
import { guardConfigChange, type GuardDecision, type ReleaseGuardSettings } from "../../projections/ipam/releaseGuard.js";
import type { IpamState } from "../../projections/ipam/state.js";
import type { ClusterConfig } from "../../config/types.js";
import type { BuiltConfig } from "./kubeSource.js";
import { decidePublish, decodeConfigHash, encodeConfigHash, laggingKinds } from "./revisions.js";

// Publishes a Kubernetes configuration only when it is newer than the one on the log, with compare-and-set on the
// source's config subject: of replicas racing from the same last message, one is stored; the others read the
// winner and decide again. So every configuration on the subject dominates the one before it in every kind. The
// message id names the transition (adapters/nats/loggedConfig.ts), never the content alone.

export const KUBE_SOURCE = "kubernetes";

export type PublishOutcome =
  | { kind: "published"; hash: string; seq: number }
  | { kind: "unchanged" }
  | { kind: "stale"; lagging: number[] }
  | { kind: "conflict" }
  | { kind: "held"; decision: Extract<GuardDecision, { kind: "hold" }> }
  | { kind: "failed"; error: string };

/** Reads the last Kubernetes configuration on the log (the last good one). */
export function loggedKubeConfig(jsm: JetStreamManager): Promise<LoggedConfig> {
  return loggedConfig(jsm, KUBE_SOURCE);
}

/** The allocations and the configuration in force (any source) a change is judged against, and the guard's settings. */
export type PublishGuard = { ipam: IpamState; current: ClusterConfig | null; settings: ReleaseGuardSettings };

/**
 * `known`: the last configuration if the caller has just read it (saves a round trip). `guard`: a change that would
 * release too many allocations is held, not published.
 */
export async function publishIfNewer(js: JetStreamClient, jsm: JetStreamManager, built: BuiltConfig, known?: LoggedConfig, guard?: PublishGuard): Promise<PublishOutcome> {
  let last: LoggedConfig;
  try {
    last = known ?? (await loggedKubeConfig(jsm));
  } catch (err) {
    return { kind: "failed", error: (err as Error).message };
  }
  const decision = decidePublish(built.contentHash, built.revisions, last.hash);
  if (decision === "unchanged") return { kind: "unchanged" };
  if (decision === "stale") return { kind: "stale", lagging: laggingKinds(built.revisions, decodeConfigHash(last.hash ?? "")?.revisions ?? []) };
  const guarded = guard ? guardConfigChange(guard.ipam, guard.current, built.config, guard.settings, false) : null;
  if (guarded?.kind === "hold") return { kind: "held", decision: guarded };
  const hash = encodeConfigHash(built.contentHash, built.revisions);
  const result = await publishConfigAfter(js, KUBE_SOURCE, hash, built.config, last.seq);
  if (result.ok) return { kind: "published", hash, seq: result.seq };
  return result.conflict ? { kind: "conflict" } : { kind: "failed", error: result.error };
}
