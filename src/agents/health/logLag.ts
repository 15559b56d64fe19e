import type { JetStreamManager } from "@nats-io/jetstream";
import type { StreamName } from "../../events/types.js";
import type { Sample } from "../../adapters/metrics/observed.js";

/** A position in a stream: its sequence and the stream's timestamp of that message (ms since the epoch). */
export type LogPosition = { readonly seq: number; readonly time: number };

export type LogLag = { readonly messages: number; readonly seconds: number };

/**
 * How far `applied` is behind the stream's `head`: messages not yet applied, and the log time between the last
 * applied message and the head (0 when caught up, however long the stream has been quiet).
 */
export function lagBehind(applied: LogPosition, head: LogPosition): LogLag {
  if (head.seq <= applied.seq) return { messages: 0, seconds: 0 };
  return { messages: head.seq - applied.seq, seconds: Math.max(0, head.time - applied.time) / 1000 };
}

/** How long a scrape waits for the stream's head before leaving the lag out (NATS away: readiness says so). */
const HEAD_TIMEOUT_MS = 1_000;

/** Reads the lag of each stream at scrape time; a stream whose head cannot be read now has no sample. */
export function logLagSamples(jsm: JetStreamManager, streams: Readonly<Partial<Record<StreamName, () => LogPosition>>>): () => Promise<LagSamples> {
  // The two lag metrics of one scrape share one read of the heads.
  let last: { at: number; samples: Promise<LagSamples> } | null = null;
  return () => {
    const now = Date.now();
    if (last && now - last.at < HEAD_TIMEOUT_MS) return last.samples;
    last = { at: now, samples: readLag(jsm, streams) };
    return last.samples;
  };
}

type LagSamples = { messages: Sample<"stream">[]; seconds: Sample<"stream">[] };

async function readLag(jsm: JetStreamManager, streams: Readonly<Partial<Record<StreamName, () => LogPosition>>>): Promise<LagSamples> {
  const read = await Promise.all((Object.entries(streams) as [StreamName, () => LogPosition][]).map(async ([stream, applied]) => ({ stream, applied, head: await headOf(jsm, stream) })));
  const messages: Sample<"stream">[] = [];
  const seconds: Sample<"stream">[] = [];
  for (const { stream, applied, head } of read) {
    if (!head) continue;
    const lag = lagBehind(applied(), head);
    messages.push({ labels: { stream }, value: lag.messages });
    seconds.push({ labels: { stream }, value: lag.seconds });
  }
  return { messages, seconds };
}

async function headOf(jsm: JetStreamManager, stream: StreamName): Promise<LogPosition | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), HEAD_TIMEOUT_MS)));
  const info = jsm.streams.info(stream).then((i) => ({ seq: i.state.last_seq, time: Date.parse(i.state.last_ts) }), () => null);
  const head = await Promise.race([info, timeout]);
  clearTimeout(timer);
  return head;
}
