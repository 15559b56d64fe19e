import { Counter, Gauge, type Registry } from "prom-client";

// Metrics read at scrape time from counters and state the agents already keep (announcer stats, probe drops, BGP
// session counters, the view), instead of counting twice. A series that is no longer read disappears.

export type Sample<L extends string> = { readonly labels: Readonly<Partial<Record<L, string>>>; readonly value: number };

export type ObservedMetric<L extends string> = {
  name: string;
  help: string;
  labelNames?: readonly L[];
  /** The samples now; an exception is reported as a failed scrape, never as a wrong value. */
  read: () => readonly Sample<L>[] | Promise<readonly Sample<L>[]>;
};

/** A gauge whose samples are `read` at every scrape. */
export function observedGauge<L extends string>(registry: Registry, m: ObservedMetric<L>): void {
  const read = m.read;
  new Gauge<L>({
    name: m.name, help: m.help, labelNames: m.labelNames ?? [], registers: [registry],
    async collect() {
      const samples = await read();
      this.reset();
      for (const s of samples) this.set(s.labels, s.value);
    },
  });
}

/** A counter whose totals are `read` at every scrape (from a count the code keeps; it must never go down). */
export function observedCounter<L extends string>(registry: Registry, m: ObservedMetric<L>): void {
  const read = m.read;
  new Counter<L>({
    name: m.name, help: m.help, labelNames: m.labelNames ?? [], registers: [registry],
    async collect() {
      const samples = await read();
      this.reset();
      for (const s of samples) this.inc(s.labels, s.value);
    },
  });
}

/** A sample without labels. */
export const single = (value: number): Sample<never>[] => [{ labels: {}, value }];

/** One sample per key of `counts` (a record the code keeps), labelled `label`. */
export function byLabel<L extends string>(label: L, counts: Readonly<Record<string, number | undefined>>, fixed?: Readonly<Partial<Record<L, string>>>): Sample<L>[] {
  return Object.entries(counts).map(([k, v]) => ({ labels: { ...fixed, [label]: k } as Partial<Record<L, string>>, value: v ?? 0 }));
}

const shared = new WeakMap<Registry, Map<string, (() => Promise<readonly Sample<string>[]> | readonly Sample<string>[])[]>>();

/**
 * Adds `read` to a metric several agents of one process feed (the controller's allocator, ingest and status writer
 * each have a log position): the metric is registered with the first source, and a scrape reads them all.
 */
export function addObservedSource<L extends string>(registry: Registry, kind: "gauge" | "counter", m: Omit<ObservedMetric<L>, "read">, read: ObservedMetric<L>["read"]): void {
  let byName = shared.get(registry);
  if (!byName) shared.set(registry, (byName = new Map()));
  let sources = byName.get(m.name);
  if (!sources) {
    const all: (() => Promise<readonly Sample<string>[]> | readonly Sample<string>[])[] = [];
    byName.set(m.name, (sources = all));
    const readAll = async (): Promise<Sample<L>[]> => (await Promise.all(all.map((r) => r()))).flat() as Sample<L>[];
    (kind === "gauge" ? observedGauge : observedCounter)(registry, { ...m, read: readAll });
  }
  sources.push(read);
}
