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

/** A soft preference (MetalLB's PreferredNodeSelector): nodes it selects score `weight` when a VIP needs an owner. */
export type PreferredNodeSelector = { weight: number; preference: LabelSelector };

export type L2AdvertisementConfig = {
  name: string;
  ipAddressPools: string[];
  ipAddressPoolSelectors: LabelSelector[];
  nodeSelectors: LabelSelector[];
  /** Only Services these select are announced by this advertisement (empty: all). */
  serviceSelectors: LabelSelector[];
  preferredNodeSelectors: PreferredNodeSelector[];
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

/** A Node as eligibility sees it: labels and the two conditions MetalLB honours (Ready, NetworkUnavailable). */
export type NodeConfig = { name: string; labels: Record<string, string>; ready: boolean; networkUnavailable: boolean };
export type NamespaceConfig = { name: string; labels: Record<string, string> };

export type ClusterConfig = {
  pools: PoolConfig[];
  l2Advertisements: L2AdvertisementConfig[];
  services: ServiceConfig[];
  nodes: NodeConfig[];
  namespaces: NamespaceConfig[];
  /** BGPPeers and BGPAdvertisements; absent when the configuration has none (L2 only). */
  bgp?: BgpConfig;
};

export const EXCLUDE_FROM_LB_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers";

/** "namespace/name", the key Services are known by in allocations. */
export function serviceKey(service: { namespace: string; name: string }): string {
  return `${service.namespace}/${service.name}`;
}

/**
 * A MetalLB BGPPeer (v1beta2) as the speakers use it. Durations are milliseconds (null when unset: the timer rules in
 * protocols/bgp/timers.ts derive them). The password is never here: only where to read it and its hash (bgpPassword.ts).
 */
export type BgpPeerConfig = {
  name: string;
  myASN: number;
  /**
   * The ASN presented to this peer instead of myASN (OPEN, AS_PATH, iBGP or eBGP), like FRR's `local-as ...
   * no-prepend replace-as`. A vipmesh extension; absent when unset, so configurations without it keep their hash.
   */
  localASN?: number;
  peerASN: number | null;
  dynamicASN: "internal" | "external" | null;
  peerAddress: string;
  sourceAddress: string | null;
  peerPort: number;
  routerID: string | null;
  holdTimeMs: number | null;
  keepaliveTimeMs: number | null;
  connectTimeMs: number | null;
  password: BgpPasswordRef | null;
  ebgpMultiHop: boolean;
  nodeSelectors: LabelSelector[];
  enableGracefulRestart: boolean;
  dualStackAddressFamily: boolean;
  vrf: string | null;
  /** The BFDProfile of the BFD session paired with this BGP session; absent when none (hash unchanged without BFD). */
  bfdProfile?: string;
};

/**
 * Where a BGPPeer's TCP MD5 password is, and the SHA-256 (hex) of its value: the log and snapshots carry this, never the
 * value; the speaker reads the value itself and uses it only if it hashes to `sha256`. `secret`: the Secret's key
 * (passwordSecret). `peer`: the BGPPeer object itself (its inline `password`, else the Secret its passwordSecret
 * names; the form older logs are upcast to). A null namespace means the namespace of the metallb.io objects.
 */
export type BgpPasswordRef =
  | { from: "secret"; namespace: string | null; name: string; key: string; sha256: string }
  | { from: "peer"; namespace: string | null; name: string; sha256: string };

/**
 * A MetalLB BFDProfile as the speakers use it: the fields as the object sets them (milliseconds), absent when unset so
 * protocols/bfd/profile.ts applies MetalLB's defaults and a backend can tell "unset" from "set to the default".
 */
export type BfdProfileConfig = {
  name: string;
  receiveInterval?: number;
  transmitInterval?: number;
  detectMultiplier?: number;
  echoInterval?: number;
  echoMode: boolean;
  passiveMode: boolean;
  minimumTtl?: number;
  /** Flap dampening (vipmesh's `vipmesh.io/bfd-dampening-*` annotations, src/config/bfdDampening.ts); absent: off. */
  dampening?: BfdDampeningConfig;
};

/** BFD flap dampening of a profile's sessions, every value filled in (protocols/bfd/dampening.ts). */
export type BfdDampeningConfig = { halfLifeMs: number; penalty: number; suppressThreshold: number; reuseThreshold: number; maxSuppressMs: number };

/** A MetalLB BGPAdvertisement with Community aliases resolved: `communities` are "a:b", `largeCommunities` "a:b:c". */
export type BgpAdvertisementConfig = {
  name: string;
  aggregationLength: number;
  aggregationLengthV6: number;
  localPref: number | null;
  communities: string[];
  largeCommunities: string[];
  peers: string[];
  nodeSelectors: LabelSelector[];
  ipAddressPools: string[];
  ipAddressPoolSelectors: LabelSelector[];
  serviceSelectors: LabelSelector[];
};

/** `bfdProfiles`: the profiles some peer names, by name; absent when no peer names one. */
export type BgpConfig = { peers: BgpPeerConfig[]; advertisements: BgpAdvertisementConfig[]; bfdProfiles?: BfdProfileConfig[] };

export const EMPTY_BGP_CONFIG: BgpConfig = { peers: [], advertisements: [] };
