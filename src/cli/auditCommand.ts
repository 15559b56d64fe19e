import { Command, Option } from "commander";
import type { Logger } from "pino";
import type { NatsClientSecurity } from "../adapters/nats/security.js";
import { openLogSource, type LogSource } from "../agents/replay/logSource.js";
import { decodeHeartbeatEntries, decodeLogEntries } from "../events/entries.js";
import { STREAMS } from "../events/types.js";
import { Auditor, type AuditSettings } from "../projections/audit/audit.js";
import type { AuditReport } from "../projections/audit/findings.js";
import { formatAudit } from "./auditFormat.js";
import { addFromOption, fromFileOption, sourceOptions } from "./logSourceOptions.js";
import { stderrLogger } from "./logger.js";
import { addMembershipOptions, membershipFromOptions } from "./membershipOptions.js";
import { addNatsOptions, natsFromOptions } from "./natsOptions.js";
import { intOption } from "./options.js";
import { DEFAULT_READ_TIMEOUT_S, readTimeoutOption } from "./replayCommand.js";

export const DEFAULT_HANDOVER_BOUND_MS = 250;

export type AuditOptions = { nats: string[]; from?: string; security?: NatsClientSecurity; settings: AuditSettings; timeoutMs?: number; log?: Logger };

/** Reads the snapshots, then EVENTS, then HEARTBEATS from `source` and audits them. */
export async function auditSource(source: LogSource, settings: AuditSettings): Promise<AuditReport> {
  const snapshots = await source.snapshots();
  const auditor = new Auditor(settings, snapshots);
  await source.read(STREAMS.events, (batch) => auditor.applyEvents(decodeLogEntries(batch, auditor.invalid)));
  await source.read(STREAMS.heartbeats, (batch) => auditor.applyHeartbeats(decodeHeartbeatEntries(batch, () => undefined)));
  return auditor.finish();
}

export async function auditCommand(opts: AuditOptions): Promise<{ report: AuditReport; origin: string }> {
  const source = await openLogSource(sourceOptions(opts, "vipmesh-audit", opts.timeoutMs ?? DEFAULT_READ_TIMEOUT_S * 1000));
  try {
    return { report: await auditSource(source, opts.settings), origin: source.origin };
  } finally {
    await source.close();
  }
}

export function auditCliCommand(): Command {
  const cmd = addFromOption(addNatsOptions(new Command("audit")))
    .description("Check the log against the invariants vipmesh promises (owners, claim terms and evidence, allocations, revisions, snapshots); list refusals, pool edits, conflicts and fencing. Exit 1 on a violation, 0 when clean, 2 when the log cannot be read.")
    .option("--json", "one JSON object: counts and every finding with its events")
    .addOption(new Option("--handover-bound <ms>", "how long after a claim a cut-off owner may still begin fencing").default(String(DEFAULT_HANDOVER_BOUND_MS)))
    .addOption(readTimeoutOption());
  return addMembershipOptions(cmd).action(async (o: Record<string, string | boolean | undefined>, command: Command) => {
    const from = fromFileOption(o, command);
    const { natsServers, natsSecurity } = natsFromOptions(o, { role: "reader", id: null });
    const strings = o as Record<string, string | undefined>;
    const settings = { membership: membershipFromOptions(strings), handoverBoundMs: intOption(strings, "handoverBound") };
    const timeoutMs = intOption({ timeout: String(o["timeout"]) }, "timeout") * 1000;
    const { report, origin } = await auditCommand({ nats: natsServers, security: natsSecurity, settings, timeoutMs, log: stderrLogger(), ...(from ? { from } : {}) });
    process.stdout.write(`${o["json"] === true ? JSON.stringify({ origin, ...report }) : formatAudit(report, origin)}\n`);
    if (report.counts.violations > 0) process.exitCode = 1;
  });
}
