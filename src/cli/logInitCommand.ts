import { Command } from "commander";
import { closeNats, connectNats, DEFAULT_PING_INTERVAL_MS } from "../adapters/nats/connect.js";
import { initLog } from "../adapters/nats/logInit.js";
import { DEFAULT_STREAM_SETTINGS } from "../adapters/nats/streams.js";
import { describeDifferences } from "../events/logRequirements.js";
import { stderrLogger } from "./logger.js";
import { addNatsOptions, natsFromOptions } from "./natsOptions.js";
import { intOption } from "./options.js";

/** `vipmesh log init`: the install step that creates (or restores) the log, as the NATS admin. */
export function logInitCommand(): Command {
  return addNatsOptions(new Command("init"))
    .description(
      "Create the EVENTS and HEARTBEATS streams and the snapshot bucket, or restore their settings; run as the NATS admin " +
        "(agents may not create or change them, and wait for this). Safe to run again.",
    )
    .option("--replicas <n>", "stream replicas (3 on a NATS cluster); agents started with --replicas N refuse fewer", String(DEFAULT_STREAM_SETTINGS.replicas))
    .option("--timeout <s>", "give up if NATS cannot be reached for this long", "30")
    .action(async (o: Record<string, string | undefined>) => {
      const { natsServers, natsSecurity } = natsFromOptions(o, { role: "admin", id: null });
      const settings = { ...DEFAULT_STREAM_SETTINGS, replicas: intOption(o, "replicas") };
      const nc = await connectNats({ servers: natsServers, security: natsSecurity, name: "vipmesh-log-init", pingIntervalMs: DEFAULT_PING_INTERVAL_MS, giveUpAfterMs: intOption(o, "timeout") * 1000, log: stderrLogger() });
      try {
        const left = await initLog(nc, settings);
        if (left.length > 0) throw new Error(`the log still differs from what vipmesh needs: ${describeDifferences(left)}`);
        process.stdout.write(`log ready: EVENTS, HEARTBEATS and the snapshot bucket with ${settings.replicas} replica(s)\n`);
      } finally {
        await closeNats(nc);
      }
    });
}
