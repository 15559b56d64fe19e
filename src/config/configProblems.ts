// A problem or warning of a configuration as data: which object, which field, why. Every check writes its problems
// as "Kind/name: field: reason" (the form the ingest logs, reports in ConfigurationState and puts in events);
// `vipmesh validate` prints them split, or as JSON.

export const SEVERITIES = ["error", "warning"] as const;
export type Severity = (typeof SEVERITIES)[number];

export type ConfigProblem = { severity: Severity; object: string; field: string; reason: string };

export function toConfigProblem(text: string, severity: Severity): ConfigProblem {
  const [object = "", field = "", ...reason] = text.split(": ");
  if (reason.length === 0) return { severity, object, field: "", reason: field };
  return { severity, object, field, reason: reason.join(": ") };
}

/** Errors, then warnings, each in the order the checks found them. */
export function configProblems(build: { problems: readonly string[]; warnings: readonly string[] }): ConfigProblem[] {
  return [...build.problems.map((t) => toConfigProblem(t, "error")), ...build.warnings.map((t) => toConfigProblem(t, "warning"))];
}

export function formatConfigProblem(p: ConfigProblem): string {
  return `${p.severity}: ${p.object}: ${p.field ? `${p.field}: ` : ""}${p.reason}`;
}
