import type { Registry } from "prom-client";
import { byLabel, observedCounter } from "../metrics/observed.js";
import type { MemberProberCounters } from "./memberProber.js";

// The membership prober's counters (docs/metrics.md, "Speaker"), read at scrape time; nothing while it is not running.

export function registerMemberProbeMetrics(registry: Registry, counters: () => MemberProberCounters | null): void {
  observedCounter(registry, {
    name: "vipmesh_member_probes_total", help: "Membership probes by kind: pings sent and answered, acks received, indirect probes asked and answered, pings relayed for others, send errors", labelNames: ["kind"],
    read: () => {
      const c = counters();
      return c ? byLabel("kind", { "ping-sent": c.pingsSent, "ping-answered": c.pingsAnswered, "ack-received": c.acksReceived, "indirect-sent": c.indirectSent, "indirect-answered": c.indirectAnswers, relayed: c.relayed, "send-errors": c.sendErrors }) : [];
    },
  });
  observedCounter(registry, {
    name: "vipmesh_member_probe_drops_total", help: "Membership probes and answers dropped, by reason", labelNames: ["reason"],
    read: () => byLabel("reason", counters()?.dropped ?? {}),
  });
  observedCounter(registry, {
    name: "vipmesh_member_verdicts_judged_total", help: "Verdicts this watcher's judge reached about the nodes it watches, by kind", labelNames: ["kind"],
    read: () => byLabel("kind", counters()?.verdicts ?? {}),
  });
}
