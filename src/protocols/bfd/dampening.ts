// BFD flap dampening, pure: each Up -> Down of a BFD session adds a penalty that decays exponentially with a
// half-life; at the suppress threshold the session is no longer trusted (its BGP session stays down), and it is
// trusted again once the penalty has decayed to the reuse threshold. The penalty is capped at the value that decays
// to the reuse threshold in the maximum suppress time, so a session is never suppressed for longer than that after
// its last flap (the ceiling of RFC 2439 4.2, applied to a BFD session as routers' "BFD dampening" does). Time (ms)
// comes in as an argument.

export type DampeningConfig = {
  readonly halfLifeMs: number;
  /** Added at each Up -> Down. */
  readonly penalty: number;
  readonly suppressThreshold: number;
  readonly reuseThreshold: number;
  /** The longest a session stays suppressed after its last flap. */
  readonly maxSuppressMs: number;
};

export type DampeningState = {
  /** The penalty as it stood at `at` (it decays from there). */
  readonly penalty: number;
  readonly at: number;
  readonly suppressed: boolean;
};

export const UNDAMPED: DampeningState = { penalty: 0, at: 0, suppressed: false };

/** The highest penalty: the one that decays to the reuse threshold in exactly the maximum suppress time. */
export function penaltyCeiling(c: DampeningConfig): number {
  return c.reuseThreshold * 2 ** (c.maxSuppressMs / c.halfLifeMs);
}

export function penaltyAt(c: DampeningConfig, s: DampeningState, now: number): number {
  return s.penalty * 2 ** (-Math.max(0, now - s.at) / c.halfLifeMs);
}

/** When a suppressed session's penalty reaches the reuse threshold; undefined when it is not suppressed. */
export function reuseAt(c: DampeningConfig, s: DampeningState): number | undefined {
  if (!s.suppressed) return undefined;
  return s.at + Math.max(0, c.halfLifeMs * Math.log2(s.penalty / c.reuseThreshold));
}

/** The session went from Up to Down at `now`. */
export function recordFlap(c: DampeningConfig, s: DampeningState, now: number): DampeningState {
  const settled = settle(c, s, now);
  const penalty = Math.min(penaltyCeiling(c), penaltyAt(c, settled, now) + c.penalty);
  return { penalty, at: now, suppressed: settled.suppressed || penalty >= c.suppressThreshold };
}

/** The state at `now`: a suppressed session whose penalty has decayed to the reuse threshold is trusted again. */
export function settle(c: DampeningConfig, s: DampeningState, now: number): DampeningState {
  const reuse = reuseAt(c, s);
  if (reuse === undefined || now < reuse) return s;
  return { penalty: penaltyAt(c, s, now), at: now, suppressed: false };
}

/** Bounds of each value: beyond them a setting is a mistake, not a policy. */
export const DAMPENING_LIMITS = {
  halfLifeMs: { min: 1_000, max: 86_400_000 },
  maxSuppressMs: { min: 1_000, max: 86_400_000 },
  penalty: { min: 1, max: 1_000_000 },
  suppressThreshold: { min: 1, max: 1_000_000 },
  reuseThreshold: { min: 1, max: 1_000_000 },
} as const satisfies Record<keyof DampeningConfig, { min: number; max: number }>;

export type DampeningProblem = { field: keyof DampeningConfig; reason: string };

/** What is wrong with a dampening configuration, each with the value it concerns; empty when it can work as meant. */
export function dampeningProblems(c: DampeningConfig): DampeningProblem[] {
  const problems: DampeningProblem[] = [];
  for (const field of Object.keys(DAMPENING_LIMITS) as (keyof DampeningConfig)[]) {
    const { min, max } = DAMPENING_LIMITS[field];
    const v = c[field];
    if (!Number.isInteger(v) || v < min || v > max) problems.push({ field, reason: `must be a whole number from ${min} to ${max}, not ${v}` });
  }
  if (problems.length > 0) return problems;
  if (c.reuseThreshold >= c.suppressThreshold) problems.push({ field: "reuseThreshold", reason: `must be below the suppress threshold (${c.suppressThreshold}), not ${c.reuseThreshold}` });
  else if (penaltyCeiling(c) < c.suppressThreshold) {
    const least = Math.ceil(c.halfLifeMs * Math.log2(c.suppressThreshold / c.reuseThreshold));
    problems.push({ field: "maxSuppressMs", reason: `${c.maxSuppressMs} ms is too short for the penalty ever to reach the suppress threshold: with this half-life and these thresholds it must be at least ${least} ms` });
  }
  return problems;
}
