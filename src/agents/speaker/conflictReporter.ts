import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { publishEvent } from "../../adapters/nats/publish.js";
import { subjects } from "../../events/subjects.js";
import type { L2Announcer } from "./announcer.js";

const CHECK_EVERY_MS = 1_000;
/** At most one report per VIP this often, however many conflicting frames arrive. */
const REPORT_EVERY_MS = 60_000;

/** Reports conflicting answers the announcer counted to the log, so replay and status can show them. */
export function startConflictReporter(js: JetStreamClient, node: string, announcer: L2Announcer, log: Logger): { stop: () => void } {
  const reported = new Map<string, { count: number; at: number }>();
  const timer = setInterval(() => {
    const byVip = announcer.stats?.().conflicts.byVip ?? {};
    const now = Date.now();
    for (const [vip, c] of Object.entries(byVip)) {
      const last = reported.get(vip);
      if (last && (c.count <= last.count || now - last.at < REPORT_EVERY_MS)) continue;
      reported.set(vip, { count: c.count, at: now });
      const event = { type: "VipConflictObserved" as const, data: { vip, node, otherMac: c.lastClaimantMac, ifname: c.ifname, count: c.count } };
      void publishEvent(js, subjects.conflict(vip, node), event).then((r) => {
        if (!r.ok) log.warn({ vip, err: r.error }, "conflict report not published");
      });
    }
  }, CHECK_EVERY_MS);
  return { stop: () => clearInterval(timer) };
}
