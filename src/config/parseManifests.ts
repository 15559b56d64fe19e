import type { z } from "zod";
import {
  endpointSliceSchema,
  ipAddressPoolSchema,
  l2AdvertisementSchema,
  namespaceSchema,
  nodeSchema,
  serviceSchema,
} from "./manifestSchemas.js";
import { aggregationProblems } from "./bgpAggregation.js";
import { communityAliases } from "./bgpCommunities.js";
import { bgpAdvertisementSchema, bgpPeerSchema, communitySchema, secretSchema } from "./bgpSchemas.js";
import { emptyBgpManifests, toBgpConfig, type BgpManifests } from "./bgpManifest.js";
import { poolProblems, toPoolConfig } from "./poolManifest.js";
import { attachBfdProfiles, bfdProfileSchema, bfdReferenceProblems, noteBfdReference, type BfdProfileManifest, type BfdReference } from "./bfdProfiles.js";
import { keepBgpEntries, keepEntries, objectName } from "./keptEntries.js";
import { configWarnings } from "./configWarnings.js";
import { duplicateObjectProblems } from "./duplicateObjects.js";
import { toServiceConfig } from "./serviceManifest.js";
import { readManifestDocuments } from "./manifestDocuments.js";
import type { ClusterConfig, NodeConfig } from "./types.js";

export class ConfigError extends Error {
  readonly code = "INVALID_CONFIG";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

type Sink = {
  config: ClusterConfig;
  endpointNodes: Map<string, Set<string>>;
  bgp: BgpManifests;
  problems: string[];
  bfdProfiles: Map<string, BfdProfileManifest>;
  bfdReferences: BfdReference[];
};
type Parse = <S extends z.ZodType>(schema: S) => z.infer<S> | undefined;

/** Reads a multi-document YAML of MetalLB and core objects. Throws ConfigError listing every problem by object and field. */
export function parseManifests(text: string): ClusterConfig {
  const { config, problems } = checkManifests(text);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/**
 * Every problem of a multi-document YAML and the configuration built from its good objects; never throws. This is
 * what the file source and `vipmesh validate` run: a check of the file as a whole belongs here.
 */
export function checkManifests(text: string): ConfigBuild & { removesEverything: boolean } {
  return checkManifestFiles([{ name: "", text }]);
}

export type ManifestFile = { name: string; text: string };

/**
 * Several files as one configuration, as `kubectl apply -f a -f b` puts their objects in one cluster (`vipmesh
 * validate` with several files). A problem of a file's own (YAML, no objects) names the file.
 */
export function checkManifestFiles(files: readonly ManifestFile[]): ConfigBuild & { removesEverything: boolean } {
  const objects: unknown[] = [];
  const documents: string[] = [];
  const problems: string[] = [];
  let removesEverything = files.length > 0;
  for (const file of files) {
    const read = readManifestDocuments(file.text);
    const inFile = (p: string): string => (file.name === "" ? p : `${file.name}${p.startsWith("document ") ? " " : ": "}${p}`);
    problems.push(...read.problems.map(inFile));
    read.objects.forEach((o, i) => {
      objects.push(o);
      documents.push(inFile(`document ${i + 1}`));
    });
    removesEverything &&= read.removesEverything;
  }
  return { ...buildConfig(objects, (index, kind) => objectLabel(objects[index], documents[index] ?? `document ${index + 1}`, kind), problems), removesEverything };
}

/** Kinds whose objects live in many namespaces; the metallb.io objects live in one and are named by Kind/name. */
const NAMESPACED = new Set(["Service", "EndpointSlice"]);

/** How problems name an object, valid or not: Kind/name (Service/namespace/name); `document N` only without a name. */
export function objectLabel(raw: unknown, document: string, kind: string): string {
  const o = objectName(raw);
  if (o && o.kind !== "" && o.name !== "") return `${o.kind}/${NAMESPACED.has(o.kind) ? `${o.namespace ?? "default"}/` : ""}${o.name}`;
  return `${document} (${kind || "no kind"})`;
}

/** Object indexes to leave out, and the last good configuration whose entries stand in for them. */
export type BuildOptions = { skip?: ReadonlySet<number>; keep?: ClusterConfig | null };

/**
 * The configuration and every problem. `objectProblems` holds the indexes of objects that were unreadable on their
 * own (schema, a Service's annotations); the rest of `problems` are about objects together (overlaps, references).
 */
export type ConfigBuild = { config: ClusterConfig; problems: string[]; objectProblems: Set<number>; warnings: string[] };

/**
 * Builds the configuration from objects shaped as the API server returns them, each with its `kind` (the
 * Kubernetes source uses this); `where` names an object in problems. Never throws for bad input.
 */
export function buildConfig(objects: readonly unknown[], where: (index: number, kind: string) => string, initialProblems: string[] = [], options: BuildOptions = {}): ConfigBuild {
  const sink: Sink = {
    config: { pools: [], l2Advertisements: [], services: [], nodes: [], namespaces: [] },
    endpointNodes: new Map(),
    bgp: emptyBgpManifests(),
    problems: [...initialProblems],
    bfdProfiles: new Map(),
    bfdReferences: [],
  };
  const objectProblems = new Set<number>();
  for (const [index, raw] of objects.entries()) {
    if (raw === null || raw === undefined || options.skip?.has(index)) continue;
    const kind = typeof raw === "object" && "kind" in raw ? String(raw.kind) : "";
    const at = where(index, kind);
    const before = sink.problems.length;
    const parse: Parse = (schema) => {
      const result = schema.safeParse(raw);
      if (result.success) return result.data;
      for (const issue of result.error.issues) sink.problems.push(`${at}: ${fieldPath(issue.path) || "(object)"}: ${issue.message}`);
      return undefined;
    };
    if (!readObject(kind, parse, sink)) sink.problems.push(`${at}: kind: unsupported kind "${kind}"`);
    if (kind === "BGPPeer") noteBfdReference(raw, sink.bfdReferences);
    if (sink.problems.length > before) objectProblems.add(index);
  }
  const { config, problems } = sink;
  if (options.keep) keepEntries(config, options.keep, objects, options.skip ?? new Set());
  problems.push(...duplicateObjectProblems(objects, options.skip ?? new Set(), (i) => where(i, objectName(objects[i])?.kind ?? "")));
  problems.push(...poolProblems(config.pools));
  const keepsBgp = options.keep?.bgp !== undefined && (options.skip?.size ?? 0) > 0;
  if (sink.bgp.peers.length + sink.bgp.advertisements.length > 0 || keepsBgp) {
    const bgp = toBgpConfig(sink.bgp, problems);
    if (options.keep) keepBgpEntries(bgp, options.keep, objects, options.skip ?? new Set());
    attachBfdProfiles(bgp, sink.bfdProfiles, options.keep?.bgp?.bfdProfiles);
    if (bgp.peers.length + bgp.advertisements.length > 0) {
      config.bgp = bgp;
      problems.push(...aggregationProblems(bgp.advertisements, config.pools));
    }
  } else {
    communityAliases(sink.bgp.communities, problems); // Community objects are checked without any BGP object too
  }
  problems.push(...bfdReferenceProblems(sink.bfdReferences, sink.bfdProfiles));
  for (const service of config.services) {
    service.readyEndpointNodes = [...(sink.endpointNodes.get(`${service.namespace}/${service.name}`) ?? [])].sort();
  }
  return { config, problems, objectProblems, warnings: configWarnings(config, objects) };
}

/** A field as the API server writes it: spec.addresses[0].value. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("");
}

/** As buildConfig, but all or nothing: throws ConfigError listing every problem. */
export function parseObjects(objects: readonly unknown[], where: (index: number, kind: string) => string, initialProblems: string[] = []): ClusterConfig {
  const { config, problems } = buildConfig(objects, where, initialProblems);
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function readEndpointSlice(slice: z.infer<typeof endpointSliceSchema> | undefined, sink: Sink): void {
  const owner = slice?.metadata.labels[SERVICE_NAME_LABEL];
  if (!slice || owner === undefined) return;
  const key = `${slice.metadata.namespace ?? "default"}/${owner}`;
  const nodes = sink.endpointNodes.get(key) ?? new Set<string>();
  for (const ep of slice.endpoints) if (ep.nodeName && ep.conditions.ready !== false) nodes.add(ep.nodeName);
  sink.endpointNodes.set(key, nodes);
}

/** MetalLB's node conditions: an absent Ready condition (a file without status) means ready. */
function toNodeConfig(node: z.infer<typeof nodeSchema>): NodeConfig {
  const status = (type: string): string | undefined => node.status.conditions.find((c) => c.type === type)?.status;
  const ready = status("Ready");
  return { name: node.metadata.name, labels: node.metadata.labels, ready: ready === undefined || ready === "True", networkUnavailable: status("NetworkUnavailable") === "True" };
}

/** Adds one object to the configuration; false for a kind the file source does not read. */
function readObject(kind: string, parse: Parse, sink: Sink): boolean {
  const { config } = sink;
  switch (kind) {
    case "IPAddressPool": {
      const pool = parse(ipAddressPoolSchema);
      if (pool) config.pools.push(toPoolConfig(pool));
      return true;
    }
    case "L2Advertisement": {
      const ad = parse(l2AdvertisementSchema);
      if (ad) config.l2Advertisements.push({ name: ad.metadata.name, ...ad.spec });
      return true;
    }
    case "Service": {
      const svc = parse(serviceSchema);
      if (svc?.spec.type === "LoadBalancer") config.services.push(toServiceConfig(svc, sink.problems));
      return true;
    }
    case "EndpointSlice":
      readEndpointSlice(parse(endpointSliceSchema), sink);
      return true;
    case "Node": {
      const node = parse(nodeSchema);
      if (node) config.nodes.push(toNodeConfig(node));
      return true;
    }
    case "Namespace": {
      const ns = parse(namespaceSchema);
      if (ns) config.namespaces.push({ name: ns.metadata.name, labels: ns.metadata.labels });
      return true;
    }
    case "BFDProfile": {
      const profile = parse(bfdProfileSchema);
      if (profile) sink.bfdProfiles.set(profile.metadata.name, profile);
      return true;
    }
    default:
      return readBgpObject(kind, parse, sink.bgp);
  }
}

/** BGPPeer, BGPAdvertisement, Community and Secret (for passwordSecret); false for any other kind. */
function readBgpObject(kind: string, parse: Parse, bgp: BgpManifests): boolean {
  const add = <T>(list: T[], value: T | undefined): true => {
    if (value) list.push(value);
    return true;
  };
  switch (kind) {
    case "BGPPeer":
      return add(bgp.peers, parse(bgpPeerSchema));
    case "BGPAdvertisement":
      return add(bgp.advertisements, parse(bgpAdvertisementSchema));
    case "Community":
      return add(bgp.communities, parse(communitySchema));
    case "Secret":
      return add(bgp.secrets, parse(secretSchema));
    default:
      return false;
  }
}
