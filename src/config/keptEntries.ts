import type { BgpConfig, ClusterConfig } from "./types.js";

// An object left out of the configuration for a problem keeps serving in its last good form: its entry in the
// last accepted configuration stands in for it. So a bad edit to a Service does not release its IP, and a bad
// edit to a pool does not take its addresses away. An object with no last good form is simply absent.

export type ObjectName = { kind: string; namespace: string | null; name: string };

export function objectName(raw: unknown): ObjectName | null {
  const o = raw as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } } | null;
  if (typeof o?.kind !== "string" || typeof o.metadata?.name !== "string") return null;
  return { kind: o.kind, namespace: typeof o.metadata.namespace === "string" ? o.metadata.namespace : null, name: o.metadata.name };
}

function skippedNames(objects: readonly unknown[], skip: ReadonlySet<number>): ObjectName[] {
  return [...skip].sort((a, b) => a - b).flatMap((i) => objectName(objects[i]) ?? []);
}

/** The configuration's list of entries for an object kind, where entries are known by name alone. */
export const NAMED_ENTRIES: Record<string, (c: ClusterConfig) => { name: string }[] | undefined> = {
  IPAddressPool: (c) => c.pools,
  L2Advertisement: (c) => c.l2Advertisements,
  Node: (c) => c.nodes,
  Namespace: (c) => c.namespaces,
  BGPPeer: (c) => c.bgp?.peers,
  BGPAdvertisement: (c) => c.bgp?.advertisements,
  BFDProfile: (c) => c.bgp?.bfdProfiles, // kept by attachBfdProfiles, once the peers are known
};

function keepNamed<T extends { name: string }>(into: T[], from: readonly T[] | undefined, name: string): void {
  const entry = from?.find((e) => e.name === name);
  if (entry && !into.some((e) => e.name === name)) into.push(entry);
}

export function keepEntries(config: ClusterConfig, keep: ClusterConfig, objects: readonly unknown[], skip: ReadonlySet<number>): void {
  for (const o of skippedNames(objects, skip)) {
    if (o.kind === "Service") {
      const ns = o.namespace ?? "default";
      const entry = keep.services.find((s) => s.namespace === ns && s.name === o.name);
      if (entry && !config.services.some((s) => s.namespace === ns && s.name === o.name)) config.services.push({ ...entry });
      continue;
    }
    if (o.kind === "BGPPeer" || o.kind === "BGPAdvertisement") continue; // keepBgpEntries, once BGP is resolved
    const list = NAMED_ENTRIES[o.kind];
    const into = list?.(config);
    if (list && into) keepNamed(into, list(keep), o.name);
  }
}

export function keepBgpEntries(bgp: BgpConfig, keep: ClusterConfig, objects: readonly unknown[], skip: ReadonlySet<number>): void {
  if (!keep.bgp) return;
  for (const o of skippedNames(objects, skip)) {
    if (o.kind === "BGPPeer") keepNamed(bgp.peers, keep.bgp.peers, o.name);
    else if (o.kind === "BGPAdvertisement") keepNamed(bgp.advertisements, keep.bgp.advertisements, o.name);
  }
}
