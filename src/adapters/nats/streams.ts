import { DiscardPolicy, JetStreamApiCodes, JetStreamApiError, PersistMode, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig, type StreamInfo } from "@nats-io/jetstream";
import { EVENTS_SUBJECTS, HEARTBEATS_SUBJECTS } from "../../events/subjects.js";
import { STREAMS, type StreamName } from "../../events/types.js";
import { EVENTS_DUPLICATE_WINDOW_MS, type LogRequirements } from "../../events/logRequirements.js";

export type StreamSettings = {
  replicas: number;
  /** How long heartbeats are kept: long enough for a new agent to warm its view, short enough to stay small. */
  heartbeatsMaxAgeMs: number;
};

export const DEFAULT_STREAM_SETTINGS: StreamSettings = { replicas: 1, heartbeatsMaxAgeMs: 60_000 };

/** What an agent checks the log against: at least its --replicas, the heartbeats' age limit it was started with. */
export const requirementsOf = (s: StreamSettings): LogRequirements => ({ minReplicas: s.replicas, heartbeatsMaxAgeMs: s.heartbeatsMaxAgeMs });

const ms = (value: number): number => value * 1_000_000;

type NamedStreamConfig = Partial<StreamConfig> & { name: string };

export function eventsStreamConfig(s: StreamSettings): NamedStreamConfig {
  return {
    name: STREAMS.events,
    subjects: [EVENTS_SUBJECTS],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    num_replicas: s.replicas,
    max_age: 0,
    deny_delete: true,
    deny_purge: true,
    allow_direct: true,
    max_msgs: -1,
    max_bytes: -1,
    max_msgs_per_subject: -1,
    allow_rollup_hdrs: false,
    duplicate_window: ms(EVENTS_DUPLICATE_WINDOW_MS),
    discard: DiscardPolicy.Old,
  };
}

/**
 * HEARTBEATS is presence, not history: a beat lost in a crash is replaced by the next one 50 ms later, so it is kept
 * without an fsync per message. With `sync_interval: always` (which EVENTS needs) every beat was an fsync, and a
 * claim waited behind a thousand of them a second: at 50 nodes, failover p99 2.9 s against 0.36 s without (README,
 * "Scale"). NATS allows asynchronous persistence only on unreplicated streams, so one replica keeps the file store
 * (sequences survive a restart) with `persist_mode: async`, and replicated streams are held in memory (raft between
 * the servers, no disk): a server that restarts catches up from the others; if all of them restart at once, the
 * stream comes back empty, its sequences start again, and followers start over with it (follow.ts).
 */
export function heartbeatsStreamConfig(s: StreamSettings): NamedStreamConfig {
  const replicated = s.replicas > 1;
  return {
    name: STREAMS.heartbeats,
    subjects: [HEARTBEATS_SUBJECTS],
    storage: replicated ? StorageType.Memory : StorageType.File,
    ...(replicated ? {} : { persist_mode: PersistMode.Async as PersistMode }),
    retention: RetentionPolicy.Limits,
    num_replicas: s.replicas,
    max_age: ms(s.heartbeatsMaxAgeMs),
    max_msgs: -1,
    max_bytes: -1,
    duplicate_window: ms(Math.min(s.heartbeatsMaxAgeMs, 10_000)),
    discard: DiscardPolicy.Old,
    allow_direct: true,
  };
}

/** Settings a stream cannot change once made: a stream with others is made again (only HEARTBEATS may be). */
const FIXED_AT_CREATION = ["storage", "persist_mode"] as const;

function madeDifferently(actual: Partial<StreamConfig>, wanted: NamedStreamConfig): boolean {
  return FIXED_AT_CREATION.some((k) => (actual[k] ?? defaultOf(k)) !== (wanted[k] ?? defaultOf(k)));
}

const defaultOf = (k: (typeof FIXED_AT_CREATION)[number]): string => (k === "storage" ? StorageType.File : PersistMode.Default);

export class StreamMissingError extends Error {
  readonly code = "STREAM_MISSING";
}

/**
 * Creates both streams, or brings an existing one's updatable settings in line (a weakened one is restored). Needs
 * the admin role: `vipmesh log init` and test servers call it, agents never do (logGuard.ts).
 */
export async function ensureStreams(jsm: JetStreamManager, s: StreamSettings): Promise<void> {
  for (const config of [eventsStreamConfig(s), heartbeatsStreamConfig(s)]) {
    const name = config.name;
    try {
      const info = await jsm.streams.info(name);
      // A HEARTBEATS made by an older release (file storage, an fsync per beat) is made again: it holds the last
      // minute of presence, which the speakers publish again within 50 ms. EVENTS is history and is never deleted.
      if (name === STREAMS.heartbeats && madeDifferently(info.config, config)) {
        await jsm.streams.delete(name);
        await addStream(jsm, config);
        continue;
      }
      const drift = (Object.keys(config) as (keyof StreamConfig)[]).some(
        (k) => !(FIXED_AT_CREATION as readonly string[]).includes(k) && k !== "retention" && JSON.stringify(info.config[k]) !== JSON.stringify(config[k]),
      );
      if (drift) await jsm.streams.update(name, { ...info.config, ...config });
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err;
      await addStream(jsm, config);
    }
  }
}

async function addStream(jsm: JetStreamManager, config: NamedStreamConfig): Promise<void> {
  try {
    await jsm.streams.add(config);
  } catch (addErr) {
    // Another agent created it between our info and add.
    if (addErr instanceof JetStreamApiError && /already in use/i.test(addErr.message)) return;
    throw new StreamMissingError(`this NATS server has no ${config.name} stream, and creating it failed: ${(addErr as Error).message}`);
  }
}

/**
 * A stream's info for a reader that must not create it (replay, ipam-status): a missing stream is explained, which
 * one and what creates it, instead of the server's "stream not found (10059)".
 */
export async function existingStreamInfo(jsm: JetStreamManager, stream: StreamName): Promise<StreamInfo> {
  try {
    return await jsm.streams.info(stream);
  } catch (err) {
    if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err;
    throw new StreamMissingError(
      `this NATS server has no ${stream} stream: vipmesh's streams are created by \`vipmesh log init\` (as the NATS admin); ` +
        "is --nats the cluster's NATS?",
    );
  }
}
