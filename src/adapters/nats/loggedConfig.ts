import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { ClusterConfig } from "../../config/types.js";
import { subjects } from "../../events/subjects.js";
import { lastEventOn } from "./lastEvent.js";
import { publishEvent, type PublishResult } from "./publish.js";

// A source's configuration on the log is a chain on its subject (vipmesh.ev.config.<source>): each new configuration
// is published with compare-and-set on the subject's last sequence, and its message id names the *transition* (the
// content hash and the sequence it follows), never the content alone. A content-only id made JetStream's duplicate
// window drop a configuration that returned to an earlier state (A -> B -> A: the second A acknowledged as a
// duplicate of the first, B left serving for up to two minutes). Publishers racing from the same last message: one
// is stored; the same transition from another is a duplicate, a different one a lost compare-and-set.

/** The last configuration of one source on the log: its subject sequence (0: none), hash and configuration. */
export type LoggedConfig = { seq: number; hash: string | null; config: ClusterConfig | null };

const NONE: LoggedConfig = { seq: 0, hash: null, config: null };

// Decoding a large configuration costs; the same message is read on every check, so the last one per source is kept
// (per connection: sequences of different servers are unrelated).
const decodedCache = new WeakMap<JetStreamManager, Map<string, LoggedConfig>>();

/** Reads the last configuration `source` published (the last good one). */
export async function loggedConfig(jsm: JetStreamManager, source: string): Promise<LoggedConfig> {
  const last = await lastEventOn(jsm, subjects.config(source));
  if (!last) return NONE;
  const cache = decodedCache.get(jsm) ?? new Map<string, LoggedConfig>();
  decodedCache.set(jsm, cache);
  const cached = cache.get(source);
  if (cached && last.seq === cached.seq) return cached;
  const decoded = last.decode();
  const event = decoded.ok && decoded.event.type === "ConfigApplied" ? decoded.event : null;
  const logged = { seq: last.seq, hash: event?.data.hash ?? null, config: event?.data.config ?? null };
  cache.set(source, logged);
  return logged;
}

/** The message id of the transition from the configuration at subject sequence `afterSeq` to the one hashed `hash`. */
export function configMessageId(hash: string, afterSeq: number): string {
  return `config-${hash}-after-${afterSeq}`;
}

/** Publishes `config` as the successor of the message at `afterSeq` on the source's subject (0: the first). */
export function publishConfigAfter(js: JetStreamClient, source: string, hash: string, config: ClusterConfig, afterSeq: number): Promise<PublishResult> {
  const event = { type: "ConfigApplied", data: { source, hash, config } } as const;
  return publishEvent(js, subjects.config(source), event, { expectLastSubjectSeq: afterSeq, msgID: configMessageId(hash, afterSeq) });
}
