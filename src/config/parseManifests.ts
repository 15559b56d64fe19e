import { parseAllDocuments } from "yaml";
import type { z } from "zod";
import {
  endpointSliceSchema,
  ipAddressPoolSchema,
  l2AdvertisementSchema,
  namespaceSchema,
  nodeSchema,
  serviceSchema,
} from "./manifestSchemas.js";
import { poolProblems, toPoolConfig } from "./poolManifest.js";
import { toServiceConfig } from "./serviceManifest.js";
import type { ClusterConfig } from "./types.js";

export class ConfigError extends Error {
  readonly code = "INVALID_CONFIG";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

type Sink = { config: ClusterConfig; endpointNodes: Map<string, Set<string>>; problems: string[] };
type Parse = <S extends z.ZodType>(schema: S) => z.infer<S> | undefined;

/** Reads a multi-document YAML of MetalLB and core objects. Throws ConfigError listing every problem by object and field. */
export function parseManifests(text: string): ClusterConfig {
  const sink: Sink = {
    config: { pools: [], l2Advertisements: [], services: [], nodes: [], namespaces: [] },
    endpointNodes: new Map(),
    problems: [],
  };
  for (const [index, doc] of parseAllDocuments(text).entries()) {
    if (doc.errors.length > 0) {
      sink.problems.push(`document ${index + 1}: YAML: ${doc.errors[0]?.message ?? "unreadable"}`);
      continue;
    }
    const raw: unknown = doc.toJS();
    if (raw === null || raw === undefined) continue;
    const kind = typeof raw === "object" && "kind" in raw ? String(raw.kind) : "";
    const where = `document ${index + 1} (${kind || "no kind"})`;
    const parse: Parse = (schema) => {
      const result = schema.safeParse(raw);
      if (result.success) return result.data;
      for (const issue of result.error.issues) sink.problems.push(`${where}: ${issue.path.join(".") || "(object)"}: ${issue.message}`);
      return undefined;
    };
    if (!readObject(kind, parse, sink)) sink.problems.push(`${where}: kind: unsupported kind "${kind}"`);
  }
  const { config, problems } = sink;
  problems.push(...poolProblems(config.pools));
  for (const service of config.services) {
    service.readyEndpointNodes = [...(sink.endpointNodes.get(`${service.namespace}/${service.name}`) ?? [])].sort();
  }
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
      if (node) config.nodes.push({ name: node.metadata.name, labels: node.metadata.labels });
      return true;
    }
    case "Namespace": {
      const ns = parse(namespaceSchema);
      if (ns) config.namespaces.push({ name: ns.metadata.name, labels: ns.metadata.labels });
      return true;
    }
    default:
      return false;
  }
}
