import { ATTACKS, type Outcome } from "./attackList.js";
import { SECRET, startAttackTarget } from "./attackTarget.js";

// Runs every attack against a fresh target and counts how each was stopped; shared by the benchmark and its test.

export type AttackRow = { name: string; outcome: Outcome; how: string };
export type AttackReport = { rows: AttackRow[]; counts: Record<Outcome, number>; secretsFoundOnLog: number };

/** How many stored messages (both streams, every snapshot) hold the configured BGP password in clear. */
function secretsIn(messages: readonly Uint8Array[]): number {
  const needle = Buffer.from(SECRET);
  return messages.filter((m) => Buffer.from(m).includes(needle)).length;
}

export async function runAttacks(): Promise<AttackReport> {
  const target = await startAttackTarget();
  const rows: AttackRow[] = [];
  try {
    for (const attack of ATTACKS) {
      const result = await attack.run(target).catch((err: unknown) => ({ outcome: "accepted" as const, how: `the attempt itself failed: ${String(err)}` }));
      rows.push({ name: attack.name, ...result });
    }
    const counts: Record<Outcome, number> = { refused_by_server: 0, refused_by_projection: 0, refused_by_probe_guard: 0, accepted: 0 };
    for (const row of rows) counts[row.outcome]++;
    return { rows, counts, secretsFoundOnLog: secretsIn(await target.everything()) };
  } finally {
    await target.stop();
  }
}

export function formatAttackRows(rows: readonly AttackRow[]): string {
  const w = Math.max(...rows.map((r) => r.name.length));
  const o = Math.max(...rows.map((r) => r.outcome.length));
  return rows.map((r, i) => `${String(i + 1).padStart(2)}. ${r.name.padEnd(w)}  ${r.outcome.padEnd(o)}  ${r.how}`).join("\n");
}
