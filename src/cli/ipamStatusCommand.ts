import { Command, Option } from "commander";
import { openLogSource } from "../agents/replay/logSource.js";
import { decodeLogEntries } from "../events/entries.js";
import { STREAMS } from "../events/types.js";
import { LogReplayer } from "../projections/batch.js";
import { ipamStatus, type IpamStatus } from "../projections/ipam/status.js";
import { emptyLogState } from "../projections/logState.js";
import { stderrLogger } from "./logger.js";
import { intOption } from "./options.js";
import { DEFAULT_READ_TIMEOUT_S, readTimeoutOption } from "./replayCommand.js";
import type { NatsClientSecurity } from "../adapters/nats/security.js";
import { addNatsOptions, natsFromOptions } from "./natsOptions.js";
import { addFromOption, fromFileOption } from "./logSourceOptions.js";

/** Reads the EVENTS log (from NATS, or an export file with `from`) and derives IPAM status: each Service's IPs or why it has none, pool usage, warnings. */
export async function readIpamStatus(nats: string[], lbClass: string | null, timeoutMs = DEFAULT_READ_TIMEOUT_S * 1000, security?: NatsClientSecurity, from: string | null = null): Promise<IpamStatus> {
  const source = await openLogSource(
    from !== null ? { kind: "file", path: from } : { kind: "nats", servers: nats, ...(security ? { security } : {}), name: "vipmesh-ipam-status", timeoutMs, log: stderrLogger() },
  );
  try {
    const replayer = new LogReplayer(emptyLogState());
    await source.read(STREAMS.events, (batch) => replayer.apply(decodeLogEntries(batch, () => undefined)));
    return ipamStatus(replayer.result(), { lbClass });
  } finally {
    await source.close();
  }
}

export function formatIpamStatus(status: IpamStatus): string {
  const lines: string[] = ["Services:"];
  for (const s of status.services) {
    const why = s.pending.map((p) => `${p.family === null ? "" : `IPv${p.family} `}${p.reason}: ${p.detail}`).join("; ");
    lines.push(`  ${s.service.padEnd(40)} ${s.state.padEnd(9)} ${s.ips.join(", ") || "-"}${why ? `  (${why})` : ""}`);
  }
  lines.push("Pools (assigned / available):");
  for (const p of status.pools) lines.push(`  ${p.pool.padEnd(24)} IPv4 ${p.v4.assigned} / ${p.v4.available}   IPv6 ${p.v6.assigned} / ${p.v6.available}`);
  if (status.warnings.length > 0) lines.push("Warnings:", ...status.warnings.map((w) => `  ${w.ip} ${w.service}: ${w.code}: ${w.detail}`));
  if (status.rejectedClaims > 0) lines.push(`Claims the projection refused: ${status.rejectedClaims}`);
  return lines.join("\n");
}

export function ipamStatusCommand(): Command {
  return addFromOption(addNatsOptions(new Command("ipam-status")))
    .description("Replay the log and show every Service's IPs (or why it has none), pool usage per family, and allocations a pool edit left uncovered.")
    .addOption(new Option("--lb-class <name>", "the allocators' --lb-class").env("VIPMESH_LB_CLASS"))
    .option("--json", "print JSON")
    .addOption(readTimeoutOption())
    .action(async (o: { nats: string; lbClass?: string; json?: boolean; timeout: string; from?: string }, command: Command) => {
      const from = fromFileOption(o, command);
      const { natsServers, natsSecurity } = natsFromOptions(o, { role: "reader", id: null });
      const status = await readIpamStatus(natsServers, o.lbClass ?? null, intOption({ timeout: o.timeout }, "timeout") * 1000, natsSecurity, from);
      process.stdout.write(`${o.json ? JSON.stringify(status, null, 2) : formatIpamStatus(status)}\n`);
    });
}
