import type { Logger } from "pino";
import { hashConfig } from "../../agents/speaker/configSource.js";
import { parseObjects } from "../../config/parseManifests.js";
import type { ClusterConfig } from "../../config/types.js";
import { Informer, type KubeObject, type ResourceRef } from "../informer.js";
import type { RevisionVector } from "./revisions.js";
import type { KubeCredentials } from "../credentials.js";

// The Kubernetes configuration source: one informer per kind ClusterConfig is built from, and the same parser
// the file source uses, fed the objects the API server holds. A configuration exists only once every informer
// has completed its first list, so nothing partial (a pool list without its Services) is ever built.

export const DEFAULT_CONFIG_NAMESPACE = "metallb-system";

export function watchedResources(ns: string): ResourceRef[] {
  const metallb = (version: string, plural: string): string => `/apis/metallb.io/${version}/namespaces/${ns}/${plural}`;
  // The order is the order of the revision vector: append new kinds at the end.
  return [
    { kind: "Service", apiVersion: "v1", path: "/api/v1/services" },
    { kind: "EndpointSlice", apiVersion: "discovery.k8s.io/v1", path: "/apis/discovery.k8s.io/v1/endpointslices" },
    { kind: "Node", apiVersion: "v1", path: "/api/v1/nodes" },
    { kind: "Namespace", apiVersion: "v1", path: "/api/v1/namespaces" },
    { kind: "IPAddressPool", apiVersion: "metallb.io/v1beta1", path: metallb("v1beta1", "ipaddresspools") },
    { kind: "L2Advertisement", apiVersion: "metallb.io/v1beta1", path: metallb("v1beta1", "l2advertisements") },
    { kind: "BGPPeer", apiVersion: "metallb.io/v1beta2", path: metallb("v1beta2", "bgppeers") },
    { kind: "BGPAdvertisement", apiVersion: "metallb.io/v1beta1", path: metallb("v1beta1", "bgpadvertisements") },
    { kind: "Community", apiVersion: "metallb.io/v1beta1", path: metallb("v1beta1", "communities") },
  ];
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export function isLoadBalancer(o: KubeObject): boolean {
  return o.kind === "Service" && (o["spec"] as { type?: string } | undefined)?.type === "LoadBalancer";
}

export class NotSyncedError extends Error {
  readonly code = "NOT_SYNCED";
}

export type BuiltConfig = { config: ClusterConfig; contentHash: string; revisions: RevisionVector; objects: KubeObject[] };

export class KubeSource {
  readonly informers: Informer[];

  constructor(kc: KubeCredentials, namespace: string, onChange: () => void, log: Logger) {
    this.informers = watchedResources(namespace).map((ref) => new Informer(ref, kc, onChange, log));
  }

  run(signal: AbortSignal): Promise<void> {
    return Promise.all(this.informers.map((i) => i.run(signal))).then(() => undefined);
  }

  get synced(): boolean {
    return this.informers.every((i) => i.synced);
  }

  revisions(): RevisionVector {
    return this.informers.map((i) => i.revision);
  }

  /** Every stored object the configuration reads: LoadBalancer Services and their EndpointSlices, everything else. */
  objects(): KubeObject[] {
    const all = this.informers.flatMap((i) => [...i.store.values()]);
    const lb = new Set(all.filter(isLoadBalancer).map((s) => `${s.metadata.namespace ?? ""}/${s.metadata.name}`));
    return all.filter((o) => {
      if (o.kind === "Service") return isLoadBalancer(o);
      if (o.kind === "EndpointSlice") return lb.has(`${o.metadata.namespace ?? ""}/${o.metadata.labels?.[SERVICE_NAME_LABEL] ?? ""}`);
      return true;
    });
  }

  /** The configuration of the current view; throws NotSyncedError before every first list, ConfigError if invalid. */
  build(): BuiltConfig {
    if (!this.synced) throw new NotSyncedError(`waiting for the first list of ${this.informers.filter((i) => !i.synced).map((i) => i.ref.kind).join(", ")}`);
    const revisions = this.revisions();
    const objects = this.objects();
    const names = (index: number, kind: string): string => {
      const m = objects[index]?.metadata;
      return `${kind}/${m?.namespace ? `${m.namespace}/` : ""}${m?.name ?? "?"}`;
    };
    const config = parseObjects(objects, names);
    return { config, contentHash: hashConfig(config), revisions, objects };
  }
}
