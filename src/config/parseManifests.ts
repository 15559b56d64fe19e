import { parseAllDocuments } from "yaml";
import type { z } from "zod";
import { canonicalIp, IpParseError } from "../net/ip.js";
import { parseAddressBlock } from "../net/cidr.js";
import {
  endpointSliceSchema,
  ipAddressPoolSchema,
  l2AdvertisementSchema,
  nodeSchema,
  serviceSchema,
} from "./manifestSchemas.js";
import type { ClusterConfig, ServiceConfig } from "./types.js";

export class ConfigError extends Error {
  readonly code = "INVALID_CONFIG";
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  ${problems.join("\n  ")}`);
  }
}

const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
const LB_IPS_ANNOTATION = "metallb.io/loadBalancerIPs";

/** Reads a multi-document YAML of MetalLB and core objects. Throws ConfigError listing every problem by object and field. */
export function parseManifests(text: string): ClusterConfig {
  const problems: string[] = [];
  const config: ClusterConfig = { pools: [], l2Advertisements: [], services: [], nodes: [] };
  const endpointNodes = new Map<string, Set<string>>();
  const docs = parseAllDocuments(text);
  for (const [index, doc] of docs.entries()) {
    if (doc.errors.length > 0) {
      problems.push(`document ${index + 1}: YAML: ${doc.errors[0]?.message ?? "unreadable"}`);
      continue;
    }
    const raw: unknown = doc.toJS();
    if (raw === null || raw === undefined) continue;
    const kind = typeof raw === "object" && "kind" in raw ? String(raw.kind) : "";
    const where = `document ${index + 1} (${kind || "no kind"})`;
    const parse = <S extends z.ZodType>(schema: S): z.infer<S> | undefined => {
      const result = schema.safeParse(raw);
      if (result.success) return result.data;
      for (const issue of result.error.issues) problems.push(`${where}: ${issue.path.join(".") || "(object)"}: ${issue.message}`);
      return undefined;
    };
    switch (kind) {
      case "IPAddressPool": {
        const pool = parse(ipAddressPoolSchema);
        if (!pool) break;
        pool.spec.addresses.forEach((block, i) => {
          try {
            parseAddressBlock(block);
          } catch (err) {
            problems.push(`IPAddressPool/${pool.metadata.name}: spec.addresses[${i}]: ${(err as Error).message}`);
          }
        });
        config.pools.push({
          name: pool.metadata.name,
          addresses: pool.spec.addresses,
          autoAssign: pool.spec.autoAssign,
          avoidBuggyIPs: pool.spec.avoidBuggyIPs,
          labels: pool.metadata.labels,
        });
        break;
      }
      case "L2Advertisement": {
        const ad = parse(l2AdvertisementSchema);
        if (ad) config.l2Advertisements.push({ name: ad.metadata.name, ...ad.spec });
        break;
      }
      case "Service": {
        const svc = parse(serviceSchema);
        if (svc?.spec.type === "LoadBalancer") {
          const service = toServiceConfig(svc, problems);
          if (service) config.services.push(service);
        }
        break;
      }
      case "EndpointSlice": {
        const slice = parse(endpointSliceSchema);
        const owner = slice?.metadata.labels[SERVICE_NAME_LABEL];
        if (!slice || owner === undefined) break;
        const key = `${slice.metadata.namespace ?? "default"}/${owner}`;
        const nodes = endpointNodes.get(key) ?? new Set<string>();
        for (const ep of slice.endpoints) if (ep.nodeName && ep.conditions.ready !== false) nodes.add(ep.nodeName);
        endpointNodes.set(key, nodes);
        break;
      }
      case "Node": {
        const node = parse(nodeSchema);
        if (node) config.nodes.push({ name: node.metadata.name, labels: node.metadata.labels });
        break;
      }
      default:
        problems.push(`${where}: kind: unsupported kind "${kind}"`);
    }
  }
  for (const service of config.services) {
    service.readyEndpointNodes = [...(endpointNodes.get(`${service.namespace}/${service.name}`) ?? [])].sort();
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

function toServiceConfig(svc: z.infer<typeof serviceSchema>, problems: string[]): ServiceConfig | undefined {
  const where = `Service/${svc.metadata.namespace ?? "default"}/${svc.metadata.name}`;
  const annotated = svc.metadata.annotations[LB_IPS_ANNOTATION];
  if (annotated !== undefined && svc.spec.loadBalancerIP !== undefined) {
    problems.push(`${where}: spec.loadBalancerIP: cannot be combined with the ${LB_IPS_ANNOTATION} annotation`);
    return undefined;
  }
  const texts = annotated !== undefined
    ? annotated.split(",").map((s) => s.trim()).filter((s) => s !== "")
    : svc.spec.loadBalancerIP !== undefined
      ? [svc.spec.loadBalancerIP]
      : (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip === undefined ? [] : [i.ip]));
  const ips: string[] = [];
  for (const text of texts) {
    try {
      ips.push(canonicalIp(text));
    } catch (err) {
      if (!(err instanceof IpParseError)) throw err;
      problems.push(`${where}: ${annotated !== undefined ? `metadata.annotations.${LB_IPS_ANNOTATION}` : "spec.loadBalancerIP"}: ${err.message}`);
    }
  }
  return {
    namespace: svc.metadata.namespace ?? "default",
    name: svc.metadata.name,
    ips,
    externalTrafficPolicy: svc.spec.externalTrafficPolicy,
    labels: svc.metadata.labels,
    readyEndpointNodes: [],
  };
}
