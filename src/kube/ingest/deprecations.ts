import type { KubeObject } from "../informer.js";

// MetalLB's legacy annotation names (metallb.universe.tf/...) still work; a Service using one gets a deprecation event.

const LEGACY_PREFIX = "metallb.universe.tf/";

export function legacyAnnotations(svc: KubeObject): string[] {
  return Object.keys(svc.metadata.annotations ?? {}).filter((k) => k.startsWith(LEGACY_PREFIX)).sort();
}

export function deprecationMessage(keys: readonly string[]): string {
  const renamed = keys.map((k) => `${k} -> ${k.replace(LEGACY_PREFIX, "metallb.io/")}`).join(", ");
  return `deprecated annotation${keys.length > 1 ? "s" : ""} in use, still honoured: rename ${renamed}`;
}
