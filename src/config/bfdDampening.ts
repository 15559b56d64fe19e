import { DAMPENING_LIMITS, dampeningProblems, type DampeningConfig } from "../protocols/bfd/dampening.js";
import { parseGoDuration } from "./duration.js";
import type { BfdDampeningConfig } from "./types.js";

// BFD flap dampening is vipmesh's own: MetalLB's BFDProfile has no field for it, so it is set with annotations on the
// BFDProfile object (MetalLB ignores them, so the object stays valid for MetalLB). The half-life turns it on; the
// other keys have defaults (RFC 2439's penalty and thresholds; a maximum suppress time of four half-lives). The file
// source reads the same keys.

export const DAMPENING_PREFIX = "vipmesh.io/bfd-dampening-";

export const DAMPENING_ANNOTATIONS = {
  halfLifeMs: `${DAMPENING_PREFIX}half-life`,
  penalty: `${DAMPENING_PREFIX}penalty`,
  suppressThreshold: `${DAMPENING_PREFIX}suppress-threshold`,
  reuseThreshold: `${DAMPENING_PREFIX}reuse-threshold`,
  maxSuppressMs: `${DAMPENING_PREFIX}max-suppress-time`,
} as const satisfies Record<keyof DampeningConfig, string>;

export const DAMPENING_DEFAULTS = { penalty: 1000, suppressThreshold: 2000, reuseThreshold: 750, maxSuppressHalfLives: 4 } as const;

const DURATIONS = new Set<keyof DampeningConfig>(["halfLifeMs", "maxSuppressMs"]);

/** An annotation that is wrong, by its key. */
export type AnnotationProblem = { key: string; reason: string };

export type DampeningRead = { dampening?: BfdDampeningConfig; problems: AnnotationProblem[] };

/** The dampening a BFDProfile's annotations ask for: none without the half-life; every problem with its key. */
export function dampeningFromAnnotations(annotations: Readonly<Record<string, string>>): DampeningRead {
  const known = new Set<string>(Object.values(DAMPENING_ANNOTATIONS));
  const problems: AnnotationProblem[] = Object.keys(annotations)
    .filter((key) => key.startsWith(DAMPENING_PREFIX) && !known.has(key))
    .map((key) => ({ key, reason: `unknown dampening setting; the keys are ${[...known].join(", ")}` }));
  const read = (field: keyof DampeningConfig): number | undefined => {
    const key = DAMPENING_ANNOTATIONS[field];
    const text = annotations[key];
    if (text === undefined) return undefined;
    const value = DURATIONS.has(field) ? parseGoDuration(text.trim()) : /^\s*\d+\s*$/.test(text) ? Number(text) : null;
    if (value === null) problems.push({ key, reason: DURATIONS.has(field) ? `must be a duration such as "30s" or "5m", not ${JSON.stringify(text)}` : `must be a whole number, not ${JSON.stringify(text)}` });
    return value === null ? undefined : Math.round(value);
  };
  const values = Object.fromEntries((Object.keys(DAMPENING_ANNOTATIONS) as (keyof DampeningConfig)[]).map((f) => [f, read(f)])) as Partial<Record<keyof DampeningConfig, number>>;
  if (values.halfLifeMs === undefined) {
    const set = (Object.keys(values) as (keyof DampeningConfig)[]).filter((f) => values[f] !== undefined && f !== "halfLifeMs");
    for (const f of set) problems.push({ key: DAMPENING_ANNOTATIONS[f], reason: `has no effect without ${DAMPENING_ANNOTATIONS.halfLifeMs}, which turns dampening on` });
    return { problems };
  }
  const dampening: BfdDampeningConfig = {
    halfLifeMs: values.halfLifeMs,
    penalty: values.penalty ?? DAMPENING_DEFAULTS.penalty,
    suppressThreshold: values.suppressThreshold ?? DAMPENING_DEFAULTS.suppressThreshold,
    reuseThreshold: values.reuseThreshold ?? DAMPENING_DEFAULTS.reuseThreshold,
    maxSuppressMs: values.maxSuppressMs ?? Math.min(values.halfLifeMs * DAMPENING_DEFAULTS.maxSuppressHalfLives, DAMPENING_LIMITS.maxSuppressMs.max),
  };
  if (problems.length > 0) return { problems };
  const rules = dampeningProblems(dampening).map((p) => ({ key: DAMPENING_ANNOTATIONS[p.field], reason: durationRange(p.field, dampening) ?? p.reason }));
  return rules.length > 0 ? { problems: rules } : { dampening, problems: [] };
}

/** A duration out of its range, said in durations rather than the machine's milliseconds. */
function durationRange(field: keyof DampeningConfig, c: DampeningConfig): string | undefined {
  const { min, max } = DAMPENING_LIMITS[field];
  if (!DURATIONS.has(field) || (c[field] >= min && c[field] <= max)) return undefined;
  return `must be from ${min / 1000}s to ${max / 3_600_000}h, not ${c[field]} ms`;
}
