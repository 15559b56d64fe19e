import { FAILOVER_REASONS, ownerChanges } from "../../projections/clusterHealth.js";
import type { LogState } from "../../projections/logState.js";

/** Counts what changed between two states of an agent's view of EVENTS: failovers by reason, configurations applied. */
export class LogChanges {
  readonly failovers: Record<string, number> = Object.fromEntries(FAILOVER_REASONS.map((r) => [r, 0]));
  configsApplied = 0;

  /** `counting`: the view has caught up (what a view reads while catching up happened before this process). */
  observe(before: LogState, after: LogState, counting: boolean): void {
    if (!counting || before === after) return;
    for (const change of ownerChanges(before.vips, after.vips)) this.failovers[change.reason] = (this.failovers[change.reason] ?? 0) + 1;
    if (after.config !== before.config && after.config !== null) this.configsApplied++;
  }
}
