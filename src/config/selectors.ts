import type { LabelSelector } from "./types.js";

/** Kubernetes label-selector semantics: every matchLabels pair and every expression must hold. */
export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels)) {
    if (labels[key] !== value) return false;
  }
  for (const req of selector.matchExpressions) {
    const has = Object.hasOwn(labels, req.key);
    const value = labels[req.key];
    switch (req.operator) {
      case "In":
        if (!has || !req.values.includes(value ?? "")) return false;
        break;
      case "NotIn":
        if (has && req.values.includes(value ?? "")) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** MetalLB's rule for selector lists: an empty list selects everything, otherwise any selector may match. */
export function anySelectorMatches(selectors: readonly LabelSelector[], labels: Record<string, string>): boolean {
  return selectors.length === 0 || selectors.some((s) => selectorMatches(s, labels));
}
