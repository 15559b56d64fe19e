import { z } from "zod";
import { IP_FAMILY_POLICIES, SERVICE_PROTOCOLS } from "../config/types.js";
import { parseAddressBlock } from "../net/cidr.js";
import { canonicalIp } from "../net/ip.js";
import { labelMap, selector } from "./schemas.js";

// ConfigApplied v2: Services carry requests (IPs, pool, sharing, families, ports) instead of fixed VIPs, pools carry
// serviceAllocation, and Namespaces (labels) arrive for namespaceSelectors. v1 stays readable (upcast.ts).

const isCanonical = (text: string): boolean => {
  try {
    return canonicalIp(text) === text;
  } catch {
    return false;
  }
};
const isBlock = (text: string): boolean => {
  try {
    parseAddressBlock(text);
    return true;
  } catch {
    return false;
  }
};

export const canonicalIpText = z.string().refine(isCanonical, "must be an IP address in canonical form");
const addressBlock = z.string().refine(isBlock, "must be a CIDR or FIRST-LAST range");

const serviceAllocationV2 = z.object({
  priority: z.number().int().nonnegative(),
  namespaces: z.array(z.string()),
  namespaceSelectors: z.array(selector),
  serviceSelectors: z.array(selector),
});

const serviceV2 = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  labels: labelMap,
  requestedIps: z.array(canonicalIpText),
  requestedPool: z.string().nullable(),
  sharingKey: z.string().min(1).nullable(),
  loadBalancerClass: z.string().nullable(),
  ipFamilyPolicy: z.enum(IP_FAMILY_POLICIES),
  ipFamilies: z.array(z.union([z.literal(4), z.literal(6)])).min(1).max(2),
  ports: z.array(z.object({ port: z.number().int().min(1).max(65_535), protocol: z.enum(SERVICE_PROTOCOLS) })),
  selector: labelMap,
  externalTrafficPolicy: z.enum(["Cluster", "Local"]),
  statusIps: z.array(canonicalIpText),
  readyEndpointNodes: z.array(z.string()),
});

export const configAppliedV2 = z.object({
  source: z.string().min(1),
  hash: z.string().min(1),
  config: z.object({
    pools: z.array(
      z.object({
        name: z.string().min(1),
        addresses: z.array(addressBlock),
        autoAssign: z.boolean(),
        avoidBuggyIPs: z.boolean(),
        labels: labelMap,
        serviceAllocation: serviceAllocationV2.nullable(),
      }),
    ),
    l2Advertisements: z.array(
      z.object({
        name: z.string(),
        ipAddressPools: z.array(z.string()),
        ipAddressPoolSelectors: z.array(selector),
        nodeSelectors: z.array(selector),
        interfaces: z.array(z.string()),
      }),
    ),
    services: z.array(serviceV2),
    nodes: z.array(z.object({ name: z.string(), labels: labelMap })),
    namespaces: z.array(z.object({ name: z.string(), labels: labelMap })),
  }),
});
