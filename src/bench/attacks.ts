import { formatAttackRows, runAttacks } from "./attacks/runAttacks.js";
import { machineDescription, type BenchResult } from "./report.js";

/**
 * `npm run bench -- attacks`: a real nats-server with the roles' authorization and real agents in their roles, then
 * every attack of src/bench/attacks/attackList.ts; each is printed with how it was stopped. `accepted` and
 * `secrets_found_on_log` must be 0.
 */
export async function attacksBench(): Promise<BenchResult> {
  const report = await runAttacks();
  process.stdout.write(`\n${formatAttackRows(report.rows)}\n`);
  return {
    name: "attacks",
    figures: {
      attempts: report.rows.length,
      refused_by_server: report.counts.refused_by_server,
      refused_by_projection: report.counts.refused_by_projection,
      refused_by_probe_guard: report.counts.refused_by_probe_guard,
      accepted: report.counts.accepted,
      secrets_found_on_log: report.secretsFoundOnLog,
    },
    settings: { roles: "src/events/permissions.ts", agents: "speaker node1, allocator a1 (file source)" },
    machine: machineDescription(),
  };
}
