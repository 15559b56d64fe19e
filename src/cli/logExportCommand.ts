import { Command } from "commander";
import { exportLog, type ExportSummary } from "../adapters/logfile/exportLog.js";
import { closeNats, connectNats, DEFAULT_PING_INTERVAL_MS } from "../adapters/nats/connect.js";
import type { NatsClientSecurity } from "../adapters/nats/security.js";
import { STREAMS } from "../events/types.js";
import type { Logger } from "pino";
import { stderrLogger } from "./logger.js";
import { addNatsOptions, natsFromOptions } from "./natsOptions.js";
import { intOption } from "./options.js";
import { logInitCommand } from "./logInitCommand.js";
import { DEFAULT_READ_TIMEOUT_S, readTimeoutOption } from "./replayCommand.js";
import { VERSION } from "./version.js";

export type LogExportOptions = { nats: string[]; security?: NatsClientSecurity; file: string; timeoutMs?: number; log?: Logger };

/** Writes both streams and the snapshot bucket to one export file (docs/log-export.md). */
export async function logExport(opts: LogExportOptions): Promise<ExportSummary> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_READ_TIMEOUT_S * 1000;
  const nc = await connectNats({ servers: opts.nats, name: "vipmesh-log-export", pingIntervalMs: DEFAULT_PING_INTERVAL_MS, giveUpAfterMs: timeoutMs, ...(opts.security ? { security: opts.security } : {}), ...(opts.log ? { log: opts.log } : {}) });
  try {
    return await exportLog(nc, opts.file, { version: VERSION, now: Date.now(), stallMs: timeoutMs });
  } finally {
    await closeNats(nc);
  }
}

export function logCliCommand(): Command {
  const exportCmd = addNatsOptions(new Command("export"))
    .description("Write EVENTS, HEARTBEATS (what it still keeps) and the snapshots to one gzip-compressed file, for replay/audit --from or a bug report.")
    .requiredOption("-o, --output <file>", "the file to write (conventionally .jsonl.gz)")
    .addOption(readTimeoutOption())
    .action(async (o: Record<string, string | undefined>) => {
      const { natsServers, natsSecurity } = natsFromOptions(o, { role: "reader", id: null });
      const summary = await logExport({ nats: natsServers, security: natsSecurity, file: o["output"] ?? "", timeoutMs: intOption({ timeout: String(o["timeout"]) }, "timeout") * 1000, log: stderrLogger() });
      const m = summary.messages;
      process.stdout.write(`wrote ${m[STREAMS.events]} EVENTS, ${m[STREAMS.heartbeats]} HEARTBEATS messages and ${summary.entries} snapshot(s) to ${summary.path}\n`);
    });
  return new Command("log").description("Create the event log, or work with it as a file.").addCommand(logInitCommand()).addCommand(exportCmd);
}
