import type { z } from "zod";
import type { IpFamilyPolicy, ServiceConfig } from "../config/types.js";
import { familyOfText, type Family } from "../net/ip.js";
import { configAppliedV2 } from "./configSchemas.js";
import type { configAppliedV1 } from "./schemas.js";
import type { ConfigApplied } from "./types.js";

// Pure upcasters from old wire versions to the current domain shape.

type ServiceV1 = z.infer<typeof configAppliedV1>["config"]["services"][number];

/**
 * A v1 Service held fixed VIPs (from its annotation, spec.loadBalancerIP or status). They become requested IPs,
 * so the allocator gives the Service exactly the addresses it had; their families decide the Service's families.
 */
function upcastServiceV1(s: ServiceV1): ServiceConfig {
  const families = [...new Set(s.ips.map(familyOfText))];
  const ipFamilies: Family[] = families.length > 0 ? families : [4];
  const ipFamilyPolicy: IpFamilyPolicy = ipFamilies.length === 2 ? "RequireDualStack" : "SingleStack";
  return {
    namespace: s.namespace,
    name: s.name,
    labels: s.labels,
    requestedIps: s.ips,
    requestedPool: null,
    sharingKey: null,
    loadBalancerClass: null,
    ipFamilyPolicy,
    ipFamilies,
    ports: [],
    selector: {},
    externalTrafficPolicy: s.externalTrafficPolicy,
    statusIps: [],
    readyEndpointNodes: s.readyEndpointNodes,
  };
}

/** ConfigApplied v1 -> current; the result is checked against the v2 schema, so an unusable v1 payload is rejected. */
export function upcastConfigAppliedV1(v1: z.infer<typeof configAppliedV1>): ConfigApplied["data"] {
  const upcast = {
    source: v1.source,
    hash: v1.hash,
    config: {
      pools: v1.config.pools.map((p) => ({ ...p, serviceAllocation: null })),
      l2Advertisements: v1.config.l2Advertisements,
      services: v1.config.services.map(upcastServiceV1),
      nodes: v1.config.nodes,
      namespaces: [],
    },
  };
  return configAppliedV2.parse(upcast);
}
