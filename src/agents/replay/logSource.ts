import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { readLogFile } from "../../adapters/logfile/readLogFile.js";
import { closeNats, connectNats, DEFAULT_PING_INTERVAL_MS } from "../../adapters/nats/connect.js";
import type { NatsClientSecurity } from "../../adapters/nats/security.js";
import { SNAPSHOT_BUCKET, SNAPSHOT_KEY_LIST } from "../../adapters/nats/snapshots.js";
import type { RawEntry } from "../../events/entries.js";
import type { StreamName } from "../../events/types.js";
import type { LogFileContents } from "../../logfile/format.js";
import type { Logger } from "pino";
import { readWholeStream } from "../../adapters/nats/readLog.js";

// Where the read-only tools (replay, audit, ipam-status) read the log from: a live NATS, or an export file
// (`vipmesh log export`). Both hand the same raw messages to the same code.

/** A stored snapshot of the EVENTS projection, as text, with where the bucket kept it. */
export type SnapshotRecord = { key: string; revision: number; time: number; text: string };

export type LogSource = {
  /** "nats://…" or the file's path, for messages. */
  readonly origin: string;
  /** Every stored message of `stream`, in batches, in sequence order; returns how many. */
  read(stream: StreamName, onBatch: (batch: RawEntry[]) => void): Promise<number>;
  /** The EVENTS snapshot(s) the bucket holds (none when there is no bucket). */
  snapshots(): Promise<SnapshotRecord[]>;
  close(): Promise<void>;
};

export type LogSourceOptions =
  | { kind: "nats"; servers: string[]; security?: NatsClientSecurity; name: string; timeoutMs: number; log?: Logger }
  | { kind: "file"; path: string };

const FILE_BATCH = 5_000;

export async function openLogSource(opts: LogSourceOptions): Promise<LogSource> {
  if (opts.kind === "file") return fileSource(opts.path, await readLogFile(opts.path));
  const nc = await connectNats({ servers: opts.servers, name: opts.name, pingIntervalMs: DEFAULT_PING_INTERVAL_MS, giveUpAfterMs: opts.timeoutMs, ...(opts.security ? { security: opts.security } : {}), ...(opts.log ? { log: opts.log } : {}) });
  return natsSource(nc, opts.servers.join(","), opts.timeoutMs);
}

export function natsSource(nc: NatsConnection, origin: string, stallMs: number): LogSource {
  return {
    origin,
    read: (stream, onBatch) => readWholeStream(nc, stream, onBatch, { stallMs }),
    snapshots: () => natsSnapshots(nc),
    close: () => closeNats(nc),
  };
}

async function natsSnapshots(nc: NatsConnection): Promise<SnapshotRecord[]> {
  try {
    await (await jetstreamManager(nc)).streams.info(`KV_${SNAPSHOT_BUCKET}`);
  } catch {
    return [];
  }
  const kv = await new Kvm(nc).open(SNAPSHOT_BUCKET);
  const records: SnapshotRecord[] = [];
  for (const key of SNAPSHOT_KEY_LIST) {
    const entry = await kv.get(key);
    if (entry?.operation === "PUT") records.push({ key: entry.key, revision: entry.revision, time: entry.created.getTime(), text: entry.string() });
  }
  return records;
}

export function fileSource(path: string, contents: LogFileContents): LogSource {
  const text = new TextDecoder();
  return {
    origin: path,
    read: async (stream, onBatch) => {
      const messages = contents.streams[stream];
      for (let i = 0; i < messages.length; i += FILE_BATCH) {
        onBatch(messages.slice(i, i + FILE_BATCH).map((m) => ({ meta: { stream: m.stream, seq: m.seq, time: m.time, subject: m.subject }, data: m.data })));
      }
      return messages.length;
    },
    snapshots: async () =>
      contents.entries.filter((e) => e.bucket === SNAPSHOT_BUCKET && (SNAPSHOT_KEY_LIST as readonly string[]).includes(e.key) && e.operation === "PUT").map((e) => ({ key: e.key, revision: e.revision, time: e.time, text: text.decode(e.data) })),
    close: async () => undefined,
  };
}
