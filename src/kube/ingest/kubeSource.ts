import type { Logger } from "pino";
import { hashConfig } from "../../config/hashConfig.js";
import { buildConfig, ConfigError, objectLabel } from "../../config/parseManifests.js";
import { acceptValidParts } from "../../config/partialConfig.js";
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
    { kind: "BFDProfile", apiVersion: "metallb.io/v1beta1", path: metallb("v1beta1", "bfdprofiles") },
    // BGPPeer passwords (passwordSecret); only Secrets a BGPPeer names enter the configuration.
    { kind: "Secret", apiVersion: "v1", path: `/api/v1/namespaces/${ns}/secrets` },
  ];
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export function isLoadBalancer(o: KubeObject): boolean {
  return o.kind === "Service" && (o["spec"] as { type?: string } | undefined)?.type === "LoadBalancer";
}

function passwordSecretName(peer: KubeObject): string {
  const ref = (peer["spec"] as { passwordSecret?: { name?: unknown } } | undefined)?.passwordSecret;
  return typeof ref?.name === "string" ? ref.name : "";
}

export class NotSyncedError extends Error {
  readonly code = "NOT_SYNCED";
}

export type BuiltConfig = {
  config: ClusterConfig;
  contentHash: string;
  revisions: RevisionVector;
  objects: KubeObject[];
  /** Problems of the objects as they are; the configuration leaves out the `ignored` objects. */
  problems: string[];
  ignored: string[];
  /** What `vipmesh validate` warns about; nothing is left out for a warning. */
  warnings: string[];
};

const KIND_ORDER = new Map(watchedResources("").map((r, i) => [r.kind, i]));

/** A fixed order (kind, namespace, name), so every replica builds the same configuration from the same objects. */
function byName(a: KubeObject, b: KubeObject): number {
  const k = (KIND_ORDER.get(a.kind ?? "") ?? 99) - (KIND_ORDER.get(b.kind ?? "") ?? 99);
  if (k !== 0) return k;
  const ka = `${a.metadata.namespace ?? ""}/${a.metadata.name}`;
  const kb = `${b.metadata.namespace ?? ""}/${b.metadata.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

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

  /** The stored object a problem names; a name without namespace matches in any (metallb.io objects live in one). */
  find(kind: string, namespace: string | null, name: string): KubeObject | undefined {
    const informer = this.informers.find((i) => i.ref.kind === kind);
    if (!informer) return undefined;
    if (namespace !== null) return informer.store.get(`${namespace}/${name}`) ?? informer.store.get(`/${name}`);
    return [...informer.store.values()].find((o) => o.metadata.name === name);
  }

  /** Every stored object the configuration reads: LoadBalancer Services and their EndpointSlices, everything else. */
  objects(): KubeObject[] {
    const all = this.informers.flatMap((i) => [...i.store.values()]);
    const lb = new Set(all.filter(isLoadBalancer).map((s) => `${s.metadata.namespace ?? ""}/${s.metadata.name}`));
    const secrets = new Set(all.flatMap((o) => (o.kind === "BGPPeer" ? [passwordSecretName(o)] : [])));
    return all
      .filter((o) => {
        if (o.kind === "Service") return isLoadBalancer(o);
        if (o.kind === "EndpointSlice") return lb.has(`${o.metadata.namespace ?? ""}/${o.metadata.labels?.[SERVICE_NAME_LABEL] ?? ""}`);
        if (o.kind === "Secret") return secrets.has(o.metadata.name);
        return true;
      })
      .sort(byName);
  }

  /**
   * The configuration of the current view, bad objects left out in favour of their entries in `lastGood` (the
   * configuration on the log). Throws NotSyncedError before every first list, ConfigError when the problems
   * cannot be pinned on objects.
   */
  build(lastGood: ClusterConfig | null): BuiltConfig {
    if (!this.synced) throw new NotSyncedError(`waiting for the first list of ${this.informers.filter((i) => !i.synced).map((i) => i.ref.kind).join(", ")}`);
    const revisions = this.revisions();
    const objects = this.objects();
    const names = (index: number, kind: string): string => objectLabel(objects[index], `object ${index + 1}`, kind);
    const partial = acceptValidParts(objects, names, lastGood);
    if (!partial) throw new ConfigError(buildConfig(objects, names).problems);
    const { config, problems, ignored, warnings } = partial;
    return { config, contentHash: hashConfig(config), revisions, objects, problems, ignored, warnings };
  }
}
