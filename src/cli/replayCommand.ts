import { Command, Option } from "commander";
import type { Logger } from "pino";
import { openLogSource } from "../agents/replay/logSource.js";
import { decodeLogEntries } from "../events/entries.js";
import { STREAMS } from "../events/types.js";
import { buildTimeline, type TimelineRow } from "../projections/timeline.js";
import { emptyLogState } from "../projections/logState.js";
import { stderrLogger } from "./logger.js";
import { addMembershipOptions, membershipFromOptions } from "./membershipOptions.js";
import { intOption } from "./options.js";
import { formatTimeline } from "./replayFormat.js";
import { writeTimelineHtml, type HtmlReplayOptions } from "./replayHtml.js";
import type { NatsClientSecurity } from "../adapters/nats/security.js";
import { addNatsOptions, natsFromOptions } from "./natsOptions.js";
import { addFromOption, fromFileOption, sourceOptions } from "./logSourceOptions.js";

export type ReplayOptions = {
  nats: string[];
  /** Read this export file (`vipmesh log export`) instead of NATS. */
  from?: string;
  /** Credentials and TLS (--nats-user, --nats-ca, ...); anonymous without. */
  security?: NatsClientSecurity;
  vip: string | null;
  json: boolean;
  /** Write the HTML timeline to this file instead of printing the text one. */
  html?: HtmlReplayOptions;
  /** Give up when NATS cannot be reached, or the log stops arriving, for this long. */
  timeoutMs?: number;
  /** Where "cannot reach NATS" is reported while retrying. */
  log?: Logger;
};

export const DEFAULT_READ_TIMEOUT_S = 30;

/** Reads the whole EVENTS log (from NATS, or an export file with `from`) and prints each VIP's ownership timeline. */
export async function replayCommand(opts: ReplayOptions, out: (text: string) => void): Promise<TimelineRow[]> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_READ_TIMEOUT_S * 1000;
  const source = await openLogSource(sourceOptions(opts, "vipmesh-replay", timeoutMs));
  try {
    if (opts.html) {
      const { path, view } = await writeTimelineHtml(source, { vip: opts.vip, ...opts.html });
      out(`wrote the HTML timeline (${view.vips.length} VIP(s), ${view.failovers.length} failover(s)) to ${path}`);
      return [];
    }
    const rows: TimelineRow[] = [];
    let state = emptyLogState();
    let invalid = 0;
    await source.read(STREAMS.events, (batch) => {
      const result = buildTimeline(decodeLogEntries(batch, () => invalid++), state);
      state = result.state;
      rows.push(...result.rows);
    });
    if (opts.json) for (const row of rows) out(JSON.stringify(row));
    else out(formatTimeline(rows, opts.vip) || "the log holds no events");
    return rows;
  } finally {
    await source.close();
  }
}

/** `--timeout`: how long a command that reads the log waits for NATS before it gives up with a non-zero exit. */
export function readTimeoutOption(): Option {
  return new Option("--timeout <s>", "give up (non-zero exit) when NATS cannot be reached, or the log stops arriving, for this long").default(String(DEFAULT_READ_TIMEOUT_S));
}

export function replayCliCommand(): Command {
  const cmd = addFromOption(addNatsOptions(new Command("replay")))
    .description("Read the EVENTS log and print each VIP's ownership timeline with the reason and evidence for every change; --html draws it.")
    .option("--vip <address>", "only this VIP")
    .option("--json", "one JSON object per event instead of text")
    .option("--html <file>", "write one self-contained HTML page (timelines, membership, failovers) instead of text; membership uses the failure-detector flags")
    .addOption(readTimeoutOption());
  return addMembershipOptions(cmd).action(async (o: Record<string, string | boolean | undefined>, command: Command) => {
    const from = fromFileOption(o, command);
    const { natsServers, natsSecurity } = natsFromOptions(o, { role: "reader", id: null });
    const opts = { nats: natsServers, security: natsSecurity, ...(from ? { from } : {}), vip: typeof o["vip"] === "string" ? o["vip"] : null, json: o["json"] === true };
    const timeoutMs = intOption({ timeout: String(o["timeout"]) }, "timeout") * 1000;
    const html = typeof o["html"] === "string" ? { file: o["html"], settings: membershipFromOptions(o as Record<string, string | undefined>) } : undefined;
    await replayCommand({ ...opts, timeoutMs, log: stderrLogger(), ...(html ? { html } : {}) }, (t) => process.stdout.write(`${t}\n`));
  });
}
