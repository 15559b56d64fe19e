// A problem or warning of a configuration as data: which object, which field, why. Every check writes its problems
// as "Kind/name: field: reason" (the form the ingest logs, reports in ConfigurationState and puts in events);
// `vipmesh validate` prints them split, or as JSON.

export const SEVERITIES = ["error", "warning"] as const;
export type Severity = (typeof SEVERITIES)[number];

export type ConfigProblem = { severity: Severity; object: string; field: string; reason: string };

/** An object as problems name it: Kind/name, Service/namespace/name, or `[file ]document N[ (Kind)]`. */
const OBJECT = /^(?:[A-Z][A-Za-z0-9]*\/\S+|(?:\S+ )?document \d+(?: \([^)]*\))?)$/;
/** A field: spec.addresses[0], metadata.annotations.metallb.io/address-pool, YAML. */
const FIELD = /^[A-Za-z(][\w.()[\]/-]*$/;

/** Splits "object: field: reason"; what names no object (a file's own problem) is about "(file)". */
export function toConfigProblem(text: string, severity: Severity): ConfigProblem {
  const [object = "", field = "", ...reason] = text.split(": ");
  if (!OBJECT.test(object)) return { severity, object: "(file)", field: "", reason: text };
  if (reason.length === 0 || !FIELD.test(field)) return { severity, object, field: "", reason: text.slice(object.length + 2) };
  return { severity, object, field, reason: reason.join(": ") };
}

/** Errors, then warnings, each in the order the checks found them. */
export function configProblems(build: { problems: readonly string[]; warnings: readonly string[] }): ConfigProblem[] {
  return [...build.problems.map((t) => toConfigProblem(t, "error")), ...build.warnings.map((t) => toConfigProblem(t, "warning"))];
}

export function formatConfigProblem(p: ConfigProblem): string {
  return `${p.severity}: ${p.object}: ${p.field ? `${p.field}: ` : ""}${p.reason}`;
}
