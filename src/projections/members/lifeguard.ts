// Local health awareness (memberlist's Lifeguard), pure. A node measures how late it runs (its beat timer, its
// event loop, the acknowledgement of its beats) and reports a score (0 healthy .. MAX_HEALTH_SCORE starved) in its
// heartbeat. Whoever judges it widens its timeout by that score, up to a fixed maximum, so a slow but alive node is
// not replaced while a dead slow node still is; and a judge that is itself starved waits for the maximum (a watcher
// publishes no death verdict, and in the log-based membership a starved node claims no VIP from a dead owner, until
// that node is silent past the maximum).

export const MAX_HEALTH_SCORE = 8;
/** A node at or above this score is starved: it declares nobody dead and takes over no one's VIP before the maximum. */
export const STARVED_SCORE = 4;

export type HealthSettings = {
  /** Lateness that counts as one point (memberlist: one missed probe ack; here measured directly). */
  latenessPerPointMs: number;
  /** How many of the latest beat intervals the score looks back over: a stall keeps counting for that long. */
  windowBeats: number;
};

export const DEFAULT_HEALTH_SETTINGS: HealthSettings = { latenessPerPointMs: 25, windowBeats: 20 };

/** The score of a node that ran `lateMs` late at worst. */
export function healthScore(lateMs: number, settings: HealthSettings = DEFAULT_HEALTH_SETTINGS): number {
  if (!(lateMs > 0)) return 0;
  return Math.min(MAX_HEALTH_SCORE, Math.floor(lateMs / settings.latenessPerPointMs));
}

/** Lifeguard's timeout: the base widened by the worse of the two scores, in equal steps up to `maxMs` at the top score. */
export function widenedTimeout(baseMs: number, maxMs: number, targetScore: number, watcherScore = 0): number {
  const score = Math.min(MAX_HEALTH_SCORE, Math.max(0, targetScore, watcherScore));
  return baseMs + (Math.max(baseMs, maxMs) - baseMs) * (score / MAX_HEALTH_SCORE);
}

export function mayDeclareDead(watcherScore: number): boolean {
  return watcherScore < STARVED_SCORE;
}

export const isStarved = (score: number): boolean => !mayDeclareDead(score);

/** A node's recent lateness, one sample per beat interval (newest last), at most `windowBeats` of them. */
export type HealthMeter = { readonly samples: readonly number[] };

export const emptyHealthMeter = (): HealthMeter => ({ samples: [] });

/** Adds the worst lateness seen in the interval that just ended. */
export function recordLateness(meter: HealthMeter, lateMs: number, settings: HealthSettings = DEFAULT_HEALTH_SETTINGS): HealthMeter {
  const sample = Number.isFinite(lateMs) && lateMs > 0 ? lateMs : 0;
  return { samples: [...meter.samples, sample].slice(-settings.windowBeats) };
}

/** The score a heartbeat reports: the worst interval of the window. */
export function meterScore(meter: HealthMeter, settings: HealthSettings = DEFAULT_HEALTH_SETTINGS): number {
  return healthScore(Math.max(0, ...meter.samples), settings);
}
