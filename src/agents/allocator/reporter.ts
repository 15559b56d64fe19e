import type { Logger } from "pino";
import type { IpamPlan } from "../../projections/ipam/plan.js";
import { allocationWarnings } from "../../projections/ipam/status.js";
import type { LogState } from "../../projections/logState.js";

/**
 * Says, once per change, why a Service has no IP and which allocations a pool edit left uncovered: the same
 * facts `vipmesh ipam-status` derives from the log, as log lines an operator can alert on.
 */
export class StatusReporter {
  private readonly reasons = new Map<string, string>();
  private readonly warned = new Set<string>();
  private warningsOf: { config: unknown; ipam: unknown } = { config: null, ipam: null };

  constructor(private readonly log: Logger) {}

  update(plan: IpamPlan, state: LogState): void {
    const seen = new Set<string>();
    for (const s of plan.services) {
      seen.add(s.service);
      const failing = s.pending.filter((p) => p.reason !== "allocating");
      const text = failing.map((p) => `${p.reason}: ${p.detail}`).join("; ");
      if ((this.reasons.get(s.service) ?? "") === text) continue;
      if (text === "") this.log.info({ service: s.service, ips: s.ips }, "service has its IPs");
      else this.log.warn({ service: s.service, state: s.state, ips: s.ips, pending: failing }, "service cannot get an IP");
      this.reasons.set(s.service, text);
    }
    for (const key of this.reasons.keys()) if (!seen.has(key)) this.reasons.delete(key);
    this.reportWarnings(state);
  }

  private reportWarnings(state: LogState): void {
    if (!state.config || (this.warningsOf.config === state.config && this.warningsOf.ipam === state.ipam)) return;
    this.warningsOf = { config: state.config, ipam: state.ipam };
    for (const w of allocationWarnings(state.config.config, state.ipam)) {
      const key = `${w.ip}|${w.service}|${w.code}`;
      if (this.warned.has(key) || w.code === "service-gone") continue;
      this.warned.add(key);
      this.log.warn(w, "allocation kept although the configuration no longer covers it");
    }
  }
}
