import type { BgpAdvertisementConfig, BgpPeerConfig, ClusterConfig } from "../../src/config/types.js";
import { pool, service } from "./ipamFixtures.js";
import { SimCluster } from "./simCluster.js";

// BGP configurations for the pure tests of what a node advertises: two nodes, two pools, two Services.

export function peer(name: string, over: Partial<BgpPeerConfig> = {}): BgpPeerConfig {
  return {
    name, myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null,
    holdTimeMs: null, keepaliveTimeMs: null, connectTimeMs: null, password: null, ebgpMultiHop: false, nodeSelectors: [],
    enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null, ...over,
  };
}

export function ad(name: string, over: Partial<BgpAdvertisementConfig> = {}): BgpAdvertisementConfig {
  return {
    name, aggregationLength: 32, aggregationLengthV6: 128, localPref: null, communities: [], largeCommunities: [], peers: [],
    nodeSelectors: [], ipAddressPools: [], ipAddressPoolSelectors: [], serviceSelectors: [], ...over,
  };
}

export type BgpConfigOverrides = Partial<ClusterConfig> & { peers?: BgpPeerConfig[]; ads?: BgpAdvertisementConfig[] };

/** Pools web (198.18.8.0/24, labelled tier=web) and v6; Services a and b (labelled app=b); node1 (rack r1), node2 (r2). */
export function bgpConfig(over: BgpConfigOverrides = {}, defaultPeers: BgpPeerConfig[] = [peer("router")]): ClusterConfig {
  const { peers = defaultPeers, ads = [ad("all")], ...rest } = over;
  return {
    pools: [pool("web", ["198.18.8.0/24"], { labels: { tier: "web" } }), pool("v6", ["2001:db8:8::/120"])],
    l2Advertisements: [],
    services: [service("a", { requestedIps: ["198.18.8.1"] }), service("b", { requestedIps: ["198.18.8.2"], labels: { app: "b" } })],
    nodes: [
      { name: "node1", labels: { rack: "r1" }, ready: true, networkUnavailable: false },
      { name: "node2", labels: { rack: "r2" }, ready: true, networkUnavailable: false },
    ],
    namespaces: [],
    bgp: { peers, advertisements: ads },
    ...rest,
  };
}

/** node1 and node2 alive for a second of log time with configuration `c` applied. */
export function twoNodeSim(c: ClusterConfig): SimCluster {
  const s = new SimCluster();
  s.addNode("node1");
  s.addNode("node2");
  s.applyConfig(c);
  s.run(1_000);
  return s;
}
