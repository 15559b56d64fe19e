import { createServer } from "node:net";

// Reading Prometheus text exposition in tests: the metric names a scrape declares, and its samples.

export type PromSample = { name: string; labels: Record<string, string>; value: number };

/** The names of `# TYPE` lines: every registered metric, with or without samples. */
export function declaredMetrics(text: string): Set<string> {
  return new Set(text.split("\n").flatMap((l) => /^# TYPE (\S+) /.exec(l)?.[1] ?? []));
}

export function samples(text: string): PromSample[] {
  return text.split("\n").flatMap((line) => {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) return [];
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1] ?? ""] = l[2] ?? "";
    return [{ name: m[1] ?? "", labels, value: Number(m[3]) }];
  });
}

/** The value of the one sample of `name` whose labels include `labels`; undefined when there is none. */
export function sampleValue(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  return samples(text).find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

/** vipmesh's and MetalLB's metric names an expression text mentions (alert rules, dashboard queries). */
export function metricNamesIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\b(?:metallb|vipmesh)_[a-z0-9_]+\b/g)].map((m) => m[0]));
}

export async function freeTcpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
    s.once("error", reject);
  });
}
