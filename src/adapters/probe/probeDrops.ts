import type { RemoteInfo } from "node:dgram";
import type { Logger } from "pino";
import type { ProbeDropReason } from "../../protocols/fence/probeGuard.js";

const WARN_EVERY_MS = 60_000;

export const noDrops = (): Record<ProbeDropReason, number> => ({ malformed: 0, "unknown-key": 0, "bad-tag": 0, replay: 0, unsolicited: 0, misdirected: 0 });

/**
 * Counts a dropped datagram under its reason and logs it at warn, at most once a minute per reason and sender
 * address (with the count so far), so a flood cannot flood the log.
 */
export function dropCounter(counts: Record<ProbeDropReason, number>, log: Logger, message: string): (reason: ProbeDropReason, from: RemoteInfo, detail: string) => void {
  const lastWarned = new Map<string, number>();
  return (reason, from, detail) => {
    counts[reason]++;
    const key = `${reason}/${from.address}`;
    const now = Date.now();
    if (now - (lastWarned.get(key) ?? -Infinity) < WARN_EVERY_MS) return;
    if (lastWarned.size > 1_000) lastWarned.clear();
    lastWarned.set(key, now);
    log.warn({ reason, from: `${from.address}:${from.port}`, detail, dropped: counts[reason] }, message);
  };
}
