// The configuration the projections work from: MetalLB's objects reduced to what vipmesh uses.
// Plain data, so it travels in events and snapshots as JSON.

export type LabelSelectorRequirement = {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values: string[];
};

export type LabelSelector = {
  matchLabels: Record<string, string>;
  matchExpressions: LabelSelectorRequirement[];
};

export type PoolConfig = {
  name: string;
  addresses: string[];
  autoAssign: boolean;
  avoidBuggyIPs: boolean;
  labels: Record<string, string>;
};

export type L2AdvertisementConfig = {
  name: string;
  ipAddressPools: string[];
  ipAddressPoolSelectors: LabelSelector[];
  nodeSelectors: LabelSelector[];
  interfaces: string[];
};

export type ServiceConfig = {
  namespace: string;
  name: string;
  /** Canonical text of each assigned load-balancer IP. */
  ips: string[];
  externalTrafficPolicy: "Cluster" | "Local";
  labels: Record<string, string>;
  /** Nodes with a ready endpoint of this Service (what an EndpointSlice says). */
  readyEndpointNodes: string[];
};

export type NodeConfig = { name: string; labels: Record<string, string> };

export type ClusterConfig = {
  pools: PoolConfig[];
  l2Advertisements: L2AdvertisementConfig[];
  services: ServiceConfig[];
  nodes: NodeConfig[];
};

export const EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";
