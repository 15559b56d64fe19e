// How late a prober's own timer runs (Lifeguard's local health), pure: fed the time of every tick, it keeps one
// sample per judging interval in two meters (lifeguard.ts). The long one looks back as far as heartbeats do (what
// the prober's acks report); the short one only over the last deadAfter (what its judge uses): a stall older than
// the silence being judged cannot have hidden the target's replies, so it must not keep the watcher from judging.
import { DEFAULT_HEALTH_SETTINGS, emptyHealthMeter, meterScore, recordLateness, type HealthMeter, type HealthSettings } from "../../projections/members/lifeguard.js";

export type ProberHealth = {
  readonly lastTick: number;
  readonly intervalStart: number;
  readonly worstLateMs: number;
  readonly reported: HealthMeter;
  readonly judging: HealthMeter;
};

export type ProberHealthSettings = { tickMs: number; intervalMs: number; deadAfterMs: number };

export const initialProberHealth = (now: number): ProberHealth => ({ lastTick: now, intervalStart: now, worstLateMs: 0, reported: emptyHealthMeter(), judging: emptyHealthMeter() });

const judgingWindow = (s: ProberHealthSettings): HealthSettings => ({ ...DEFAULT_HEALTH_SETTINGS, windowBeats: Math.ceil(s.deadAfterMs / s.intervalMs) + 1 });

/** A tick of the prober's timer at `now` (expected `tickMs` after the previous one). */
export function recordTick(h: ProberHealth, now: number, s: ProberHealthSettings): ProberHealth {
  const worstLateMs = Math.max(h.worstLateMs, now - h.lastTick - s.tickMs);
  if (now - h.intervalStart < s.intervalMs) return { ...h, lastTick: now, worstLateMs };
  return {
    lastTick: now, intervalStart: now, worstLateMs: 0,
    reported: recordLateness(h.reported, worstLateMs),
    judging: recordLateness(h.judging, worstLateMs, judgingWindow(s)),
  };
}

/** The score its acks report (over the heartbeats' look-back). */
export const reportedScore = (h: ProberHealth): number => meterScore(h.reported);

/** The score its judge uses (over the last deadAfter). */
export const judgingScore = (h: ProberHealth): number => meterScore(h.judging);
