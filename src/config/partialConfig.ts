import { buildConfig } from "./parseManifests.js";
import { NAMED_ENTRIES, objectName, type ObjectName } from "./keptEntries.js";
import type { ClusterConfig } from "./types.js";

// A configuration with its bad parts left out (pure). An object with a problem of its own is left out; a problem
// between objects (overlapping pools, a reference to a missing object) leaves out the objects it names that changed
// since the last good configuration, or its subject when none did. Left-out objects keep their last good entries
// (keptEntries.ts). Every replica computes the same result from the same objects and the same logged
// configuration, so replicas agree on what is ignored.

export type PartialConfig = {
  config: ClusterConfig;
  /** Every problem of the configuration as given; empty when nothing was left out. */
  problems: string[];
  /** "Kind/namespace/name" of each object left out. */
  ignored: string[];
  /** Warnings about the objects as given (configWarnings.ts): nothing is left out for them. */
  warnings: string[];
};

const KINDS = "IPAddressPool|L2Advertisement|BGPAdvertisement|BGPPeer|BFDProfile|Community|Secret|Service|EndpointSlice|Node|Namespace";
const REFERENCE = new RegExp(`\\b(${KINDS})/(?:([a-z0-9][a-z0-9.-]*)/)?([a-z0-9][a-z0-9.-]*)`, "g");

/** The objects a problem's text names, its subject first. */
export function problemReferences(text: string): ObjectName[] {
  return [...text.matchAll(REFERENCE)].map((m) => ({ kind: m[1] ?? "", namespace: m[2] ?? null, name: m[3] ?? "" }));
}

const refersTo = (ref: ObjectName, o: ObjectName): boolean => ref.kind === o.kind && ref.name === o.name && (ref.namespace === null || ref.namespace === o.namespace);

/** The entry a configuration has for an object, as JSON; undefined for kinds that have none (Community, Secret...). */
function entryOf(config: ClusterConfig, o: ObjectName): string | undefined {
  if (o.kind === "Service") return JSON.stringify(config.services.find((s) => s.namespace === (o.namespace ?? "default") && s.name === o.name) ?? null);
  const list = NAMED_ENTRIES[o.kind];
  return list ? JSON.stringify(list(config)?.find((e) => e.name === o.name) ?? null) : undefined;
}

export function acceptValidParts(objects: readonly unknown[], where: (index: number, kind: string) => string, lastGood: ClusterConfig | null): PartialConfig | null {
  const first = buildConfig(objects, where);
  if (first.problems.length === 0) return { config: first.config, problems: [], ignored: [], warnings: first.warnings };
  const names = objects.map(objectName);
  const skip = new Set<number>();
  let build = first;
  const changed = (i: number): boolean => {
    const o = names[i];
    if (!o) return true;
    const before = lastGood ? entryOf(lastGood, o) : undefined;
    return before === undefined || before !== entryOf(first.config, o);
  };
  for (;;) {
    const blamed = new Set<number>([...build.objectProblems].filter((i) => !skip.has(i)));
    for (const text of build.problems) {
      const matches = problemReferences(text).map((ref) => names.flatMap((o, i) => (o && !skip.has(i) && refersTo(ref, o) ? [i] : [])));
      const changedOnes = matches.flat().filter(changed);
      for (const i of changedOnes.length > 0 ? changedOnes : (matches.find((m) => m.length > 0) ?? [])) blamed.add(i);
    }
    if (blamed.size === 0) return null;
    for (const i of blamed) skip.add(i);
    build = buildConfig(objects, where, [], { skip, keep: lastGood });
    if (build.problems.length === 0) {
      const ignored = [...skip].sort((a, b) => a - b).map((i) => {
        const o = names[i];
        return o ? `${o.kind}/${o.namespace ? `${o.namespace}/` : ""}${o.name}` : `object ${i + 1}`;
      });
      return { config: build.config, problems: first.problems, ignored, warnings: first.warnings };
    }
  }
}
