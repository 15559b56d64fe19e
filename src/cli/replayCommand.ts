import { connectNats, DEFAULT_PING_INTERVAL_MS } from "../adapters/nats/connect.js";
import { readWholeStream } from "../agents/replay/readLog.js";
import { decodeLogEntries } from "../events/entries.js";
import { STREAMS } from "../events/types.js";
import { buildTimeline, type TimelineRow } from "../projections/timeline.js";
import { emptyLogState } from "../projections/logState.js";
import { formatTimeline } from "./replayFormat.js";

export type ReplayOptions = { nats: string[]; vip: string | null; json: boolean };

/** Reads the whole EVENTS log and prints each VIP's ownership timeline with the recorded reasons. */
export async function replayCommand(opts: ReplayOptions, out: (text: string) => void): Promise<TimelineRow[]> {
  const nc = await connectNats({ servers: opts.nats, name: "vipmesh-replay", pingIntervalMs: DEFAULT_PING_INTERVAL_MS });
  try {
    const rows: TimelineRow[] = [];
    let state = emptyLogState();
    let invalid = 0;
    await readWholeStream(nc, STREAMS.events, (batch) => {
      const result = buildTimeline(decodeLogEntries(batch, () => invalid++), state);
      state = result.state;
      rows.push(...result.rows);
    });
    if (opts.json) for (const row of rows) out(JSON.stringify(row));
    else out(formatTimeline(rows, opts.vip) || "the log holds no events");
    return rows;
  } finally {
    await nc.close();
  }
}
