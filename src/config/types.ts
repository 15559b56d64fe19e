// The configuration the projections work from: MetalLB's objects reduced to what vipmesh uses.
// Plain data, so it travels in events and snapshots as JSON.
import type { Family } from "../net/ip.js";

export type LabelSelectorRequirement = {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values: string[];
};

export type LabelSelector = {
  matchLabels: Record<string, string>;
  matchExpressions: LabelSelectorRequirement[];
};

/** MetalLB's `spec.serviceAllocation`: which Services may take addresses from a pool, and its priority. */
export type ServiceAllocationConfig = {
  /** Lower is preferred; 0 means unset and sorts after every set priority. */
  priority: number;
  namespaces: string[];
  namespaceSelectors: LabelSelector[];
  serviceSelectors: LabelSelector[];
};

export type PoolConfig = {
  name: string;
  /** CIDRs and FIRST-LAST ranges, in the order given; never overlapping (checked when parsed). */
  addresses: string[];
  autoAssign: boolean;
  /** Skip IPv4 addresses ending in .0 or .255. */
  avoidBuggyIPs: boolean;
  labels: Record<string, string>;
  serviceAllocation: ServiceAllocationConfig | null;
};

export type L2AdvertisementConfig = {
  name: string;
  ipAddressPools: string[];
  ipAddressPoolSelectors: LabelSelector[];
  nodeSelectors: LabelSelector[];
  interfaces: string[];
};

export const IP_FAMILY_POLICIES = ["SingleStack", "PreferDualStack", "RequireDualStack"] as const;
export type IpFamilyPolicy = (typeof IP_FAMILY_POLICIES)[number];

export const SERVICE_PROTOCOLS = ["TCP", "UDP", "SCTP"] as const;
export type ServicePort = { port: number; protocol: (typeof SERVICE_PROTOCOLS)[number] };

/**
 * A LoadBalancer Service as IPAM and the speakers see it. The IPs it gets come from allocations on the log;
 * what the Service asks for (annotations, spec) is a request.
 */
export type ServiceConfig = {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /** Canonical text of the IPs asked for by `metallb.io/loadBalancerIPs` or `spec.loadBalancerIP`. */
  requestedIps: string[];
  /** `metallb.io/address-pool`. */
  requestedPool: string | null;
  /** `metallb.io/allow-shared-ip`; null when absent or empty. */
  sharingKey: string | null;
  loadBalancerClass: string | null;
  ipFamilyPolicy: IpFamilyPolicy;
  /** The families the Service has, primary first (what the API server puts in `spec.ipFamilies`). */
  ipFamilies: Family[];
  ports: ServicePort[];
  selector: Record<string, string>;
  externalTrafficPolicy: "Cluster" | "Local";
  /** Canonical IPs in `status.loadBalancer.ingress`: what the Service already holds, adopted when the log lost them. */
  statusIps: string[];
  /** Nodes with a ready endpoint of this Service (what an EndpointSlice says). */
  readyEndpointNodes: string[];
};

export type NodeConfig = { name: string; labels: Record<string, string> };
export type NamespaceConfig = { name: string; labels: Record<string, string> };

export type ClusterConfig = {
  pools: PoolConfig[];
  l2Advertisements: L2AdvertisementConfig[];
  services: ServiceConfig[];
  nodes: NodeConfig[];
  namespaces: NamespaceConfig[];
};

export const EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

/** "namespace/name", the key Services are known by in allocations. */
export function serviceKey(service: { namespace: string; name: string }): string {
  return `${service.namespace}/${service.name}`;
}
