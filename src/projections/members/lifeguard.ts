// Local health awareness (memberlist's Lifeguard), pure. A node measures how late its own timers run; the score
// (0 healthy .. MAX_HEALTH_SCORE starved) travels with its presence. A watcher widens its timeout for a target by the
// target's score and by its own (a starved watcher hears late), and declares nobody dead while its own score is at
// or above the starved level: a slow but alive owner is not replaced, and a starved watcher does not judge.

export const MAX_HEALTH_SCORE = 8;
/** A watcher at or above this score does not publish verdicts of death. */
export const STARVED_SCORE = 4;

export type HealthSettings = {
  /** Timer lateness that counts as one point (memberlist: one missed probe ack; here measured directly). */
  latenessPerPointMs: number;
};

export const DEFAULT_HEALTH_SETTINGS: HealthSettings = { latenessPerPointMs: 25 };

/** The score of a node whose timers ran `lateMs` late at worst in the last interval. */
export function healthScore(lateMs: number, settings: HealthSettings = DEFAULT_HEALTH_SETTINGS): number {
  if (!(lateMs > 0)) return 0;
  return Math.min(MAX_HEALTH_SCORE, Math.floor(lateMs / settings.latenessPerPointMs));
}

/** Lifeguard's timeout: the base scaled by (1 + the worse of the two scores). */
export function widenedTimeout(baseMs: number, targetScore: number, watcherScore: number): number {
  const score = Math.min(MAX_HEALTH_SCORE, Math.max(0, targetScore, watcherScore));
  return baseMs * (1 + score);
}

export function mayDeclareDead(watcherScore: number): boolean {
  return watcherScore < STARVED_SCORE;
}
