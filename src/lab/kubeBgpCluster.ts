// BGP mode configured through Kubernetes: the BGP lab (FRR router peering with every node, the client behind it,
// backends and DNAT on the nodes; src/lab/bgpCluster.ts) with no configuration file and no allocator, wrapped by
// startKubeLab (src/lab/kubeCluster.ts): the test API server bridged onto the lab, `vipmesh controller`s publishing
// the metallb.io objects onto the log and allocating, and speakers with --kubeconfig (they read the configuration
// from the log and write their ServiceBGPStatus objects). The metallb.io objects and Services are the caller's, applied
// with kubectl.
import { BgpCluster } from "./bgpCluster.js";
import type { RouterBfdProfile } from "./bgpRouter.js";
import { startKubeLab, type KubeLab, type NatsAuthMode } from "./kubeCluster.js";
import type { LabLogger } from "./types.js";

export type KubeBgpClusterOptions = {
  nodes: number;
  /** VIPs the nodes DNAT to their backend (what kube-proxy would do); 198.18.100.0/24 (BGP_LAB_POOL). */
  vips: string[];
  /** FRR's TCP MD5 password for every node (the BGPPeer's Secret must hold the same). */
  routerPassword?: string;
  /** FRR's hold time toward the nodes (default 9 s). */
  holdTimeS?: number;
  controllers?: number;
  /** How speakers log in to NATS (default callout, the chart's default). */
  natsAuthMode?: NatsAuthMode;
  /** The router's bfdd pairs a BFD session with each node's BGP session (the BGPPeer's bfdProfile is the caller's). */
  routerBfd?: RouterBfdProfile;
  /** More speaker flags (e.g. frrModeArgs()). */
  speakerArgs?: string[];
  log: LabLogger;
};

export type KubeBgpCluster = KubeLab<BgpCluster>;

export function startKubeBgpCluster(opts: KubeBgpClusterOptions): Promise<KubeBgpCluster> {
  return startKubeLab(opts, (kubeconfig, speakerLauncher, speakerLogin) =>
    BgpCluster.start({
      nodes: opts.nodes,
      speakerLogin,
      vips: opts.vips,
      log: opts.log,
      fileConfig: false,
      allocators: 0,
      speakerArgs: ["--kubeconfig", kubeconfig, ...(opts.speakerArgs ?? [])],
      // The profile text is the configuration file's, which this cluster does not write: only the router's part counts.
      ...(opts.routerBfd === undefined ? {} : { bfd: { profile: "{}", router: opts.routerBfd } }),
      speakerLauncher,
      ...(opts.routerPassword === undefined ? {} : { routerPassword: opts.routerPassword }),
      ...(opts.holdTimeS === undefined ? {} : { holdTimeS: opts.holdTimeS }),
    }),
  );
}
