import type { ClusterConfig, PoolConfig, ServiceConfig } from "../../src/config/types.js";

// Compact builders for IPAM tests: every field defaults to what a plain MetalLB Service or pool would have.

export function service(key: string, over: Partial<ServiceConfig> = {}): ServiceConfig {
  const [namespace = "default", name = key] = key.includes("/") ? key.split("/") : ["default", key];
  return {
    namespace,
    name,
    labels: {},
    requestedIps: [],
    requestedPool: null,
    sharingKey: null,
    loadBalancerClass: null,
    ipFamilyPolicy: "SingleStack",
    ipFamilies: [4],
    ports: [{ port: 80, protocol: "TCP" }],
    selector: { app: name },
    externalTrafficPolicy: "Cluster",
    statusIps: [],
    readyEndpointNodes: [],
    ...over,
  };
}

export function pool(name: string, addresses: string[], over: Partial<PoolConfig> = {}): PoolConfig {
  return { name, addresses, autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null, ...over };
}

export function clusterConfig(over: Partial<ClusterConfig> = {}): ClusterConfig {
  return { pools: [], l2Advertisements: [], services: [], nodes: [], namespaces: [], ...over };
}
