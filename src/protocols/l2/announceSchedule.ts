// When to announce each VIP (gratuitous ARP, unsolicited Neighbor Advertisement), as pure data: a burst at fixed
// offsets after takeover, then a periodic refresh. The refresh keeps switches' MAC tables (often 300 s) from ageing
// the VIP's MAC out before the gateway's ARP/neighbour entry does (often hours), which would flood the VIP's
// traffic to every port. Time is a number handed in; the caller owns the one timer, set to nextDueAt().

export interface AnnounceSettings {
  /** Offsets after takeover in ms, non-decreasing (e.g. 0, 50, 250, 1100, 2100). */
  readonly burstMs: readonly number[];
  /** Period of the refresh that follows the burst, in ms; 0 turns it off. */
  readonly refreshMs: number;
}

export const DEFAULT_REFRESH_MS = 30_000;

export interface AnnounceEntry {
  readonly startedAt: number;
  /** Index of the next announcement: burst offsets first, then refresh periods. */
  readonly step: number;
  readonly dueAt: number;
}

/** Key (a VIP) -> its next announcement. */
export type AnnounceSchedule = ReadonlyMap<string, AnnounceEntry>;

export class AnnounceSettingsError extends Error {
  override readonly name = "AnnounceSettingsError";
  readonly code = "INVALID_ANNOUNCE_SETTINGS";

  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export function validateAnnounceSettings(s: AnnounceSettings): AnnounceSettings {
  s.burstMs.forEach((at, i) => {
    if (!Number.isFinite(at) || at < 0) throw new AnnounceSettingsError(`burstMs[${i}]`, `${at} is not a time >= 0`);
    if (i > 0 && at < (s.burstMs[i - 1] as number)) {
      throw new AnnounceSettingsError(`burstMs[${i}]`, `${at} comes before the previous offset`);
    }
  });
  if (!Number.isFinite(s.refreshMs) || s.refreshMs < 0) {
    throw new AnnounceSettingsError("refreshMs", `${s.refreshMs} is not a period >= 0 (0 = no refresh)`);
  }
  return s;
}

/** Due time of `step` for an entry started at `startedAt`, or undefined when there is no such step. */
function dueAtStep(startedAt: number, step: number, s: AnnounceSettings): number | undefined {
  const burst = s.burstMs.length;
  if (step < burst) return startedAt + (s.burstMs[step] as number);
  if (s.refreshMs <= 0) return undefined;
  return startedAt + (s.burstMs[burst - 1] ?? 0) + (step - burst + 1) * s.refreshMs;
}

/** Starts (or restarts: a new takeover) the announcements for `key` at `now`. */
export function startAnnouncing(schedule: AnnounceSchedule, key: string, now: number, s: AnnounceSettings): AnnounceSchedule {
  return startAnnouncingAll(schedule, [key], now, s);
}

/** startAnnouncing for many keys with one copy of the schedule (a takeover of thousands of VIPs copied it per VIP). */
export function startAnnouncingAll(schedule: AnnounceSchedule, keys: readonly string[], now: number, s: AnnounceSettings): AnnounceSchedule {
  if (keys.length === 0) return schedule;
  const next = new Map(schedule);
  const dueAt = dueAtStep(now, 0, s);
  for (const key of keys) {
    if (dueAt === undefined) next.delete(key);
    else next.set(key, { startedAt: now, step: 0, dueAt });
  }
  return next;
}

export function stopAnnouncing(schedule: AnnounceSchedule, key: string): AnnounceSchedule {
  return stopAnnouncingAll(schedule, [key]);
}

/** stopAnnouncing for many keys with at most one copy of the schedule. */
export function stopAnnouncingAll(schedule: AnnounceSchedule, keys: readonly string[]): AnnounceSchedule {
  const present = keys.filter((k) => schedule.has(k));
  if (present.length === 0) return schedule;
  const next = new Map(schedule);
  for (const key of present) next.delete(key);
  return next;
}

/**
 * The keys due at `now` (each once, however many of its steps were missed while the caller was late), and the
 * schedule advanced past `now`. Keys with nothing left to announce (no refresh) leave the schedule.
 */
export function takeDue(
  schedule: AnnounceSchedule,
  now: number,
  s: AnnounceSettings,
): { readonly schedule: AnnounceSchedule; readonly due: readonly string[] } {
  const due: string[] = [];
  let next: Map<string, AnnounceEntry> | undefined;
  for (const [key, entry] of schedule) {
    if (entry.dueAt > now) continue;
    due.push(key);
    next ??= new Map(schedule);
    const step = firstStepAfter(entry, now, s);
    const dueAt = dueAtStep(entry.startedAt, step, s);
    if (dueAt === undefined) next.delete(key);
    else next.set(key, { startedAt: entry.startedAt, step, dueAt });
  }
  return { schedule: next ?? schedule, due };
}

/** The first step due strictly after `now`: a walk through the burst, then arithmetic over the refresh periods. */
function firstStepAfter(entry: AnnounceEntry, now: number, s: AnnounceSettings): number {
  const burst = s.burstMs.length;
  let step = entry.step + 1;
  while (step < burst && entry.startedAt + (s.burstMs[step] as number) <= now) step++;
  if (step < burst || s.refreshMs <= 0) return step;
  const refreshBase = entry.startedAt + (s.burstMs[burst - 1] ?? 0);
  const periodsPassed = Math.floor((now - refreshBase) / s.refreshMs);
  return Math.max(step, burst + periodsPassed);
}

/** When the caller's timer should next fire, or undefined when nothing is scheduled. */
export function nextDueAt(schedule: AnnounceSchedule): number | undefined {
  let earliest: number | undefined;
  for (const entry of schedule.values()) if (earliest === undefined || entry.dueAt < earliest) earliest = entry.dueAt;
  return earliest;
}
