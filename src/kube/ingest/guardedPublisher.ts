import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import { publishEvent } from "../../adapters/nats/publish.js";
import type { ClusterConfig } from "../../config/types.js";
import { lastEventOn } from "../../adapters/nats/lastEvent.js";
import { subjects } from "../../events/subjects.js";
import type { BuiltConfig } from "./kubeSource.js";
import { decidePublish, decodeConfigHash, encodeConfigHash, laggingKinds } from "./revisions.js";

// Publishes a Kubernetes configuration only when it is newer than the one on the log, with compare-and-set on the
// source's config subject: of replicas racing from the same last message, one is stored; the others read the
// winner and decide again. So every configuration on the subject dominates the one before it in every kind.

export const KUBE_SOURCE = "kubernetes";

export type PublishOutcome =
  | { kind: "published"; hash: string; seq: number }
  | { kind: "unchanged" }
  | { kind: "stale"; lagging: number[] }
  | { kind: "conflict" }
  | { kind: "failed"; error: string };

/** The last Kubernetes configuration on the log: its subject sequence (0: none), hash and configuration. */
export type LoggedConfig = { seq: number; hash: string | null; config: ClusterConfig | null };

const NONE: LoggedConfig = { seq: 0, hash: null, config: null };
// Decoding a large configuration costs; the same message is read on every check, so the last one is kept (per
// connection: sequences of different servers are unrelated).
const decodedCache = new WeakMap<JetStreamManager, LoggedConfig>();

/** Reads the last Kubernetes configuration on the log (the last good one). */
export async function loggedKubeConfig(jsm: JetStreamManager): Promise<LoggedConfig> {
  const last = await lastEventOn(jsm, subjects.config(KUBE_SOURCE));
  if (!last) return NONE;
  const cached = decodedCache.get(jsm);
  if (cached && last.seq === cached.seq) return cached;
  const decoded = last.decode();
  const event = decoded.ok && decoded.event.type === "ConfigApplied" ? decoded.event : null;
  const logged = { seq: last.seq, hash: event?.data.hash ?? null, config: event?.data.config ?? null };
  decodedCache.set(jsm, logged);
  return logged;
}

/** `known`: the last configuration if the caller has just read it (saves a round trip). */
export async function publishIfNewer(js: JetStreamClient, jsm: JetStreamManager, built: BuiltConfig, known?: LoggedConfig): Promise<PublishOutcome> {
  const subject = subjects.config(KUBE_SOURCE);
  let last: LoggedConfig;
  try {
    last = known ?? (await loggedKubeConfig(jsm));
  } catch (err) {
    return { kind: "failed", error: (err as Error).message };
  }
  const decision = decidePublish(built.contentHash, built.revisions, last.hash);
  if (decision === "unchanged") return { kind: "unchanged" };
  if (decision === "stale") return { kind: "stale", lagging: laggingKinds(built.revisions, decodeConfigHash(last.hash ?? "")?.revisions ?? []) };
  const hash = encodeConfigHash(built.contentHash, built.revisions);
  const event = { type: "ConfigApplied", data: { source: KUBE_SOURCE, hash, config: built.config } } as const;
  const result = await publishEvent(js, subject, event, { expectLastSubjectSeq: last.seq, msgID: `config-${hash}` });
  if (result.ok) return { kind: "published", hash, seq: result.seq };
  return result.conflict ? { kind: "conflict" } : { kind: "failed", error: result.error };
}
