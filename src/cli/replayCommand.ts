import { Command, Option } from "commander";
import type { Logger } from "pino";
import { closeNats, connectNats, DEFAULT_PING_INTERVAL_MS } from "../adapters/nats/connect.js";
import { readWholeStream } from "../agents/replay/readLog.js";
import { decodeLogEntries } from "../events/entries.js";
import { STREAMS } from "../events/types.js";
import { buildTimeline, type TimelineRow } from "../projections/timeline.js";
import { emptyLogState } from "../projections/logState.js";
import { stderrLogger } from "./logger.js";
import { intOption, listOption } from "./options.js";
import { formatTimeline } from "./replayFormat.js";

export type ReplayOptions = {
  nats: string[];
  vip: string | null;
  json: boolean;
  /** Give up when NATS cannot be reached, or the log stops arriving, for this long. */
  timeoutMs?: number;
  /** Where "cannot reach NATS" is reported while retrying. */
  log?: Logger;
};

export const DEFAULT_READ_TIMEOUT_S = 30;

/** Reads the whole EVENTS log and prints each VIP's ownership timeline with the recorded reasons. */
export async function replayCommand(opts: ReplayOptions, out: (text: string) => void): Promise<TimelineRow[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_READ_TIMEOUT_S * 1000;
  const nc = await connectNats({ servers: opts.nats, name: "vipmesh-replay", pingIntervalMs: DEFAULT_PING_INTERVAL_MS, giveUpAfterMs: timeoutMs, ...(opts.log ? { log: opts.log } : {}) });
  try {
    const rows: TimelineRow[] = [];
    let state = emptyLogState();
    let invalid = 0;
    await readWholeStream(nc, STREAMS.events, (batch) => {
      const result = buildTimeline(decodeLogEntries(batch, () => invalid++), state);
      state = result.state;
      rows.push(...result.rows);
    }, { stallMs: timeoutMs });
    if (opts.json) for (const row of rows) out(JSON.stringify(row));
    else out(formatTimeline(rows, opts.vip) || "the log holds no events");
    return rows;
  } finally {
    await closeNats(nc);
  }
}

/** `--timeout`: how long a command that reads the log waits for NATS before it gives up with a non-zero exit. */
export function readTimeoutOption(): Option {
  return new Option("--timeout <s>", "give up (non-zero exit) when NATS cannot be reached, or the log stops arriving, for this long").default(String(DEFAULT_READ_TIMEOUT_S));
}

export function replayCliCommand(): Command {
  return new Command("replay")
    .description("Read the EVENTS log and print each VIP's ownership timeline with the reason and evidence for every change.")
    .addOption(new Option("--nats <urls>", "NATS server URLs, comma-separated").env("VIPMESH_NATS").default("nats://127.0.0.1:4222"))
    .option("--vip <address>", "only this VIP")
    .option("--json", "one JSON object per event instead of text")
    .addOption(readTimeoutOption())
    .action(async (o: Record<string, string | boolean | undefined>) => {
      const opts = { nats: listOption(String(o["nats"])), vip: typeof o["vip"] === "string" ? o["vip"] : null, json: o["json"] === true };
      const timeoutMs = intOption({ timeout: String(o["timeout"]) }, "timeout") * 1000;
      await replayCommand({ ...opts, timeoutMs, log: stderrLogger() }, (t) => process.stdout.write(`${t}\n`));
    });
}
