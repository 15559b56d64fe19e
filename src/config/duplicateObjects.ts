import { objectName } from "./keptEntries.js";

// Two documents of one kind and name: Kubernetes keeps one object (a second apply updates the first), a file would
// keep both. Refused, as pools, BGPPeers and BGPAdvertisements already are where they are read (poolManifest.ts,
// bgpManifest.ts, which also see the ingest's entries kept from the last good configuration).

const CHECKED_WHERE_READ = new Set(["IPAddressPool", "BGPPeer", "BGPAdvertisement"]);
const NAMESPACED = new Set(["Service", "EndpointSlice", "Secret"]);

export function duplicateObjectProblems(objects: readonly unknown[], skip: ReadonlySet<number>, label: (index: number) => string): string[] {
  const seen = new Set<string>();
  const problems: string[] = [];
  objects.forEach((raw, i) => {
    const o = objectName(raw);
    if (!o || skip.has(i) || CHECKED_WHERE_READ.has(o.kind)) return;
    const key = `${o.kind}/${NAMESPACED.has(o.kind) ? (o.namespace ?? "default") : ""}/${o.name}`;
    if (seen.has(key)) problems.push(`${label(i)}: metadata.name: defined more than once`);
    seen.add(key);
  });
  return problems;
}
