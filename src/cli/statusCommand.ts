import { Command, InvalidArgumentError, Option } from "commander";
import type { Logger } from "pino";
import type { NatsClientSecurity } from "../adapters/nats/security.js";
import { openLogSource, type LogSource } from "../agents/replay/logSource.js";
import { decodeHeartbeatEntries, decodeLogEntries } from "../events/entries.js";
import { STREAMS } from "../events/types.js";
import { applyHeartbeatBatch, unfrozenImmer } from "../projections/batch.js";
import { emptyMembership } from "../projections/membership.js";
import { StatusLogReader } from "../projections/status/statusLog.js";
import { clusterStatus, DEFAULT_POOL_WARN_PERCENT, type ClusterStatus, type StatusSettings } from "../projections/status/statusModel.js";
import { DEFAULT_HANDOVER_BOUND_MS } from "./auditCommand.js";
import { addFromOption, fromFileOption, sourceOptions } from "./logSourceOptions.js";
import { stderrLogger } from "./logger.js";
import { addMembershipOptions, membershipFromOptions } from "./membershipOptions.js";
import { addNatsOptions, natsFromOptions } from "./natsOptions.js";
import { intOption } from "./options.js";
import { DEFAULT_READ_TIMEOUT_S, readTimeoutOption } from "./replayCommand.js";
import { formatStatus } from "./statusFormat.js";

// `vipmesh status`: where things stand, from the log alone. "Now" is the log's head: the time of the last message
// of EVENTS or HEARTBEATS (of a live log, or of the export file), never this machine's clock.

/** Reads EVENTS, then HEARTBEATS, from `source` and derives the cluster's status at the log's head. */
export async function statusOfSource(source: LogSource, settings: StatusSettings): Promise<ClusterStatus> {
  const events = new StatusLogReader();
  await source.read(STREAMS.events, (batch) => events.apply(decodeLogEntries(batch, () => undefined)));
  let members = emptyMembership();
  let lastBeat = 0;
  await source.read(STREAMS.heartbeats, (batch) => {
    lastBeat = Math.max(lastBeat, batch[batch.length - 1]?.meta.time ?? 0);
    members = applyHeartbeatBatch(members, decodeHeartbeatEntries(batch, () => undefined), settings.membership, unfrozenImmer);
  });
  const log = events.result();
  return clusterStatus(log, members, settings, Math.max(log.headTime, lastBeat));
}

export type StatusOptions = { nats: string[]; from?: string; security?: NatsClientSecurity; settings: StatusSettings; timeoutMs?: number; log?: Logger };

export async function statusCommand(opts: StatusOptions): Promise<{ status: ClusterStatus; origin: string }> {
  const source = await openLogSource(sourceOptions(opts, "vipmesh-status", opts.timeoutMs ?? DEFAULT_READ_TIMEOUT_S * 1000));
  try {
    return { status: await statusOfSource(source, opts.settings), origin: source.origin };
  } finally {
    await source.close();
  }
}

export function statusCliCommand(): Command {
  const cmd = addFromOption(addNatsOptions(new Command("status")))
    .description("Where things stand, from the log: nodes, every VIP's owner, pools, BGP sessions per node, the configuration and its problems. Exit 0 when all is well, 1 when a problem is listed, 2 when the log cannot be read.")
    .option("--json", "one JSON object (docs/status.md describes its shape)")
    .addOption(new Option("--handover-bound <ms>", "how long a VIP may be without a live owner (a failover in progress) before it is a problem").default(String(DEFAULT_HANDOVER_BOUND_MS)))
    .addOption(new Option("--pool-warn <percent>", "a pool this full (any address family) is nearly exhausted").default(String(DEFAULT_POOL_WARN_PERCENT)))
    .addOption(readTimeoutOption());
  return addMembershipOptions(cmd).action(async (o: Record<string, string | boolean | undefined>, command: Command) => {
    const from = fromFileOption(o, command);
    const { natsServers, natsSecurity } = natsFromOptions(o, { role: "reader", id: null });
    const strings = o as Record<string, string | undefined>;
    const settings: StatusSettings = { membership: membershipFromOptions(strings), handoverBoundMs: intOption(strings, "handoverBound"), poolWarnPercent: intOption(strings, "poolWarn") };
    if (settings.poolWarnPercent < 1 || settings.poolWarnPercent > 100) throw new InvalidArgumentError(`--pool-warn must be a percentage from 1 to 100, got ${settings.poolWarnPercent}`);
    const timeoutMs = intOption({ timeout: String(o["timeout"]) }, "timeout") * 1000;
    const { status, origin } = await statusCommand({ nats: natsServers, security: natsSecurity, settings, timeoutMs, log: stderrLogger(), ...(from ? { from } : {}) });
    process.stdout.write(`${o["json"] === true ? JSON.stringify({ origin, ...status }) : formatStatus(status, origin)}\n`);
    if (status.problems.length > 0) process.exitCode = 1;
  });
}
