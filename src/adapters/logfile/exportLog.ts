import { DeliverPolicy, jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager, type JsMsg, type StreamInfo } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { STREAMS, type StreamName } from "../../events/types.js";
import { encodeEntryLine, encodeHeaderLine, encodeMessageLine } from "../../logfile/lineCodec.js";
import { LOG_FORMAT, LOG_FORMAT_VERSION, type ExportedStream, type Headers } from "../../logfile/format.js";
import { existingStreamInfo } from "../nats/streams.js";
import { SNAPSHOT_BUCKET } from "../nats/snapshots.js";
import { writeLogFile } from "./writeLogFile.js";

export type ExportOptions = {
  /** The vipmesh version written in the header. */
  version: string;
  /** When the export began (ms since the epoch): the caller's clock, so the encoder stays pure. */
  now: number;
  /** Give up when no message arrives for this long. */
  stallMs: number;
};

export type ExportSummary = { path: string; messages: Record<StreamName, number>; entries: number };

export class ExportStalled extends Error {
  readonly code = "EXPORT_STALLED";
}

/** Writes EVENTS, HEARTBEATS (as far back as it still keeps) and the snapshot bucket to one export file. */
export async function exportLog(nc: NatsConnection, path: string, opts: ExportOptions): Promise<ExportSummary> {
  const jsm = await jetstreamManager(nc);
  const js = jetstream(nc);
  const infos = [await existingStreamInfo(jsm, STREAMS.events), await existingStreamInfo(jsm, STREAMS.heartbeats)];
  const bucketExists = await hasBucket(jsm);
  const messages = { [STREAMS.events]: 0, [STREAMS.heartbeats]: 0 } as Record<StreamName, number>;
  let entries = 0;
  async function* lines(): AsyncGenerator<string> {
    yield encodeHeaderLine({ format: LOG_FORMAT, version: LOG_FORMAT_VERSION, vipmesh: opts.version, exportedAt: opts.now, streams: infos.map(describe), buckets: bucketExists ? [SNAPSHOT_BUCKET] : [] });
    for (const info of infos) {
      for await (const line of streamLines(js, info, opts.stallMs)) {
        messages[info.config.name as StreamName]++;
        yield line;
      }
    }
    if (!bucketExists) return;
    const kv = await new Kvm(nc).open(SNAPSHOT_BUCKET);
    for await (const key of await kv.keys()) {
      const e = await kv.get(key);
      if (!e) continue;
      entries++;
      yield encodeEntryLine({ bucket: SNAPSHOT_BUCKET, key: e.key, revision: e.revision, time: e.created.getTime(), operation: e.operation, data: e.value });
    }
  }
  await writeLogFile(path, lines());
  return { path, messages, entries };
}

function describe(info: StreamInfo): ExportedStream {
  return { name: info.config.name as StreamName, config: { ...info.config }, firstSeq: info.state.first_seq, lastSeq: info.state.last_seq, messages: info.state.messages };
}

async function hasBucket(jsm: JetStreamManager): Promise<boolean> {
  try {
    await jsm.streams.info(`KV_${SNAPSHOT_BUCKET}`);
    return true;
  } catch {
    return false;
  }
}

function headersOf(m: JsMsg): Headers {
  const h = m.headers;
  if (!h) return {};
  return Object.fromEntries(h.keys().map((k) => [k, h.values(k)]));
}

/** One line per stored message from the first to the last stored when the export began. */
async function* streamLines(js: JetStreamClient, info: StreamInfo, stallMs: number): AsyncGenerator<string> {
  const last = info.state.last_seq;
  if (info.state.messages === 0) return;
  const consumer = await js.consumers.get(info.config.name, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: info.state.first_seq });
  const iter = await consumer.consume({ max_messages: 1_000, expires: 2_000, idle_heartbeat: 1_000 });
  let timer = setTimeout(() => void iter.close(), stallMs);
  let seen = 0;
  try {
    for await (const m of iter) {
      clearTimeout(timer);
      timer = setTimeout(() => void iter.close(), stallMs);
      const seq = m.info.streamSequence;
      if (seq > last) break;
      seen = seq;
      yield encodeMessageLine({ stream: info.config.name as StreamName, seq, subject: m.subject, time: m.info.timestampNanos / 1e6, headers: headersOf(m), data: m.data });
      if (seq >= last) break;
    }
  } finally {
    clearTimeout(timer);
    await iter.close();
  }
  if (seen < last) {
    throw new ExportStalled(`exporting ${info.config.name}: nothing arrived for ${stallMs / 1000} s after sequence ${seen} of ${last}; gave up (is NATS reachable?)`);
  }
}
