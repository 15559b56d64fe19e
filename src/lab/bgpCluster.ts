// A BGP-mode vipmesh cluster in a lab: NATS, allocators, one speaker and backend per node, and an FRR router peering
// with every node (src/lab/bgpRouter.ts) with the client behind it. VIPs come from 198.18.100.0/24, outside the node
// segment, so only BGP (never ARP) can bring traffic to them. Shared by the BGP lab tests and benchmarks.
import { initLabLog } from "./nats.js";
import { labMembershipArgs } from "./labMembership.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { FAR_ROUTER_V4, LabBgpRouter, type RouterBfdProfile } from "./bgpRouter.js";
import { vrfLink, type VrfLink, type VrfLinkOptions } from "./bgpVrfLink.js";
import { createLab, type Lab, type SpeakerLogin } from "./lab.js";
import { vipmeshArgv } from "./paths.js";
import { labProbeKeyArgs } from "./probeKey.js";
import type { SpeakerLauncher } from "./chartCommands.js";
import { nodeRole, roleIp, roleIp6 } from "./topology.js";
import type { LabLogger, ProcHandle } from "./types.js";
import { auditLab, violationsOf } from "./labAudit.js";
import type { AuditReport, Finding } from "../projections/audit/findings.js";

export const BGP_LAB_ASN = 64512;
export const BGP_LAB_POOL = "198.18.100.0/24";
export const BGP_LAB_POOL_V6 = "2001:db8:100::/120";

export type BgpClusterOptions = {
  nodes: number;
  /** How speakers log in to NATS (src/lab/lab.ts); default static users. */
  speakerLogin?: SpeakerLogin;
  /** VIPs (IPv4 in 198.18.100.0/24, IPv6 in 2001:db8:100::/120), one Service each, exposed on every node. */
  vips: string[];
  log: LabLogger;
  /** YAML of the BGPAdvertisement spec (flow style), default `{ ipAddressPools: [bgp, bgp6] }`. */
  advertisement?: string;
  /** BGPPeer password on the speakers' side; `routerPassword` on FRR's (default: the same). */
  password?: string;
  routerPassword?: string;
  holdTimeS?: number;
  allocators?: number;
  speakerArgs?: string[];
  /** More YAML documents appended to the configuration (Services with externalTrafficPolicy Local, EndpointSlices). */
  extraManifests?: string;
  /** Nodes whose IPv4 router session has enableGracefulRestart (restart in place keeps their routes). */
  gracefulRestartNodes?: string[];
  /** Also peer (eBGP, ebgpMultiHop) with a router two hops away, AS 64600 at 198.18.2.2. */
  farRouter?: boolean;
  /**
   * Direct links from single nodes to the router, their node end in a VRF or not (src/lab/bgpVrfLink.ts); the router
   * peers with the node's address on each (iBGP unless the link says `asn`). Their BGPPeers come with `extraManifests`.
   */
  vrfLinks?: VrfLinkOptions[];
  /** false: no configuration file, speakers start without --config (give them --kubeconfig in speakerArgs). */
  fileConfig?: boolean;
  /** How speakers are started (the chart's command line: src/lab/chartCommands.ts); default the lab's own. */
  speakerLauncher?: SpeakerLauncher;
  /**
   * BFD: `profile` is the spec (flow style) of the BFDProfile "lab" that every router BGPPeer names; `router` the
   * profile the router's bfdd pairs with each neighbor.
   */
  bfd?: { profile: string; router: RouterBfdProfile; annotations?: Record<string, string> };
};

export const FAR_ASN = 64600;

export function bgpManifests(o: Pick<BgpClusterOptions, "vips" | "advertisement" | "password" | "holdTimeS" | "farRouter" | "gracefulRestartNodes" | "extraManifests" | "bfd">): string {
  const services = o.vips.map(
    (vip, i) => `---
kind: Service
metadata: { name: web${i}, namespace: default, annotations: { metallb.io/loadBalancerIPs: "${vip}" } }
spec: { type: LoadBalancer, externalTrafficPolicy: Cluster, ${vip.includes(":") ? "ipFamilies: [IPv6], " : ""}ports: [{ port: 80, protocol: TCP }] }
`,
  );
  const peer = (name: string, address: string, extra = ""): string => `---
kind: BGPPeer
metadata: { name: ${name}, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, peerASN: ${BGP_LAB_ASN}, peerAddress: "${address}", holdTime: ${o.holdTimeS ?? 9}s${o.password === undefined ? "" : `, password: "${o.password}"`}${o.bfd === undefined ? "" : ", bfdProfile: lab"}${extra} }
`;
  // Nodes labelled vipmesh.lab/graceful-restart=true get the IPv4 router session with graceful restart instead.
  const gr = "{ matchLabels: { vipmesh.lab/graceful-restart: \"true\" } }";
  const noGr = "{ matchExpressions: [{ key: vipmesh.lab/graceful-restart, operator: DoesNotExist }] }";
  const nodes = (o.gracefulRestartNodes ?? []).map((n) => `---
kind: Node
metadata: { name: ${n}, labels: { vipmesh.lab/graceful-restart: "true" } }
`);
  const farPeer = `---
kind: BGPPeer
metadata: { name: far, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, peerASN: ${FAR_ASN}, peerAddress: "${FAR_ROUTER_V4}", ebgpMultiHop: true, holdTime: 9s }
`;
  return `kind: IPAddressPool
metadata: { name: bgp, namespace: metallb-system }
spec: { addresses: ["${BGP_LAB_POOL}"] }
---
kind: IPAddressPool
metadata: { name: bgp6, namespace: metallb-system }
spec: { addresses: ["${BGP_LAB_POOL_V6}"] }
${peer("router", "198.18.0.1", `, nodeSelectors: [${noGr}]`)}${peer("router-gr", "198.18.0.1", `, nodeSelectors: [${gr}], enableGracefulRestart: true`)}${peer("router6", "2001:db8:0:1::1")}${nodes.join("")}${o.farRouter ? farPeer : ""}---
kind: Community
metadata: { name: aliases, namespace: metallb-system }
spec: { communities: [{ name: lab-tag, value: "64512:300" }, { name: lab-large, value: "large:64512:1:2" }] }
---
kind: BGPAdvertisement
metadata: { name: bgp, namespace: metallb-system }
spec: ${o.advertisement ?? "{ ipAddressPools: [bgp, bgp6] }"}
${services.join("")}${o.bfd === undefined ? "" : bfdProfileManifest(o.bfd)}${o.extraManifests ?? ""}`;
}

function bfdProfileManifest(bfd: NonNullable<BgpClusterOptions["bfd"]>): string {
  const annotations = Object.entries(bfd.annotations ?? {}).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
  const metadata = `name: lab, namespace: metallb-system${annotations.length > 0 ? `, annotations: { ${annotations.join(", ")} }` : ""}`;
  return `---\nkind: BFDProfile\nmetadata: { ${metadata} }\nspec: ${bfd.profile}\n`;
}

export class BgpCluster {
  readonly speakers = new Map<number, ProcHandle>();
  readonly speakerLines: { node: number; line: string }[] = [];
  /** Every speaker's arguments, for the audit's failure-detector settings. */
  private readonly speakerArgs: string[][] = [];

  private constructor(
    readonly lab: Lab,
    readonly router: LabBgpRouter,
    readonly vrfLinks: VrfLink[],
    readonly natsUrl: string,
    readonly configPath: string,
    private readonly opts: BgpClusterOptions,
  ) {}

  static async start(opts: BgpClusterOptions): Promise<BgpCluster> {
    const lab = await createLab({ nodes: opts.nodes, log: opts.log, ...(opts.speakerLogin ? { speakerLogin: opts.speakerLogin } : {}) });
    const password = opts.routerPassword ?? opts.password;
    const neighbors = Array.from({ length: opts.nodes }, (_, i) => nodeRole(i + 1)).flatMap((role) => [
      { address: roleIp(role), asn: BGP_LAB_ASN, ...(password === undefined ? {} : { password }) },
      { address: roleIp6(role), asn: BGP_LAB_ASN, ...(password === undefined ? {} : { password }) },
    ]);
    const far = { asn: FAR_ASN, neighbors: Array.from({ length: opts.nodes }, (_, i) => ({ address: roleIp(nodeRole(i + 1)), asn: BGP_LAB_ASN })) };
    const vrfLinks = (opts.vrfLinks ?? []).map(vrfLink);
    neighbors.push(...vrfLinks.map((l) => ({ address: l.nodeAddress, asn: l.asn ?? BGP_LAB_ASN })));
    const router = new LabBgpRouter(lab, { asn: BGP_LAB_ASN, neighbors, holdTimeS: opts.holdTimeS ?? 9, ...(opts.farRouter ? { far } : {}), vrfLinks, ...(opts.bfd ? { bfd: opts.bfd.router } : {}) });
    try {
      const natsUrl = await lab.startNats(); // checked from the client namespace, before the client moves behind the router
      await initLabLog(lab, natsUrl, 1);
      await lab.startBackends();
      for (const vip of opts.vips) await lab.exposeVipOnAllNodes(vip);
      await router.start();
      const configPath = join(lab.runDir, "vipmesh.yaml");
      const cluster = new BgpCluster(lab, router, vrfLinks, natsUrl, configPath, opts);
      if (opts.fileConfig !== false) cluster.writeConfig({});
      for (let i = 1; i <= (opts.allocators ?? 1); i++) {
        lab.spawn("nats", vipmeshArgv("allocator", "--nats", natsUrl, ...lab.natsArgs(`allocator-allocator${i}`), "--allocator-id", `allocator${i}`), { name: `allocator${i}` });
      }
      for (let k = 1; k <= opts.nodes; k++) cluster.startSpeaker(k);
      return cluster;
    } catch (err) {
      await router.stop();
      await lab.destroy();
      throw err;
    }
  }

  /** Rewrites the configuration file; speakers poll it (--config-poll 200) and publish the change. */
  writeConfig(over: Partial<Pick<BgpClusterOptions, "vips" | "advertisement" | "password" | "extraManifests" | "bfd">>): void {
    if (this.opts.fileConfig === false) throw new Error("lab: this BGP cluster has no configuration file (fileConfig: false)");
    writeFileSync(this.configPath, bgpManifests({ ...this.opts, ...over }));
  }

  startSpeaker(k: number, extra: string[] = []): ProcHandle {
    const node = nodeRole(k);
    const config = this.opts.fileConfig === false ? [] : ["--config", this.configPath, "--config-poll", "200"];
    const extraArgs = [...config, ...labMembershipArgs(), ...(this.opts.speakerArgs ?? []), ...extra];
    const probeKeyArgs = labProbeKeyArgs(this.lab.runDir);
    const { args, env } = this.opts.speakerLauncher
      ? this.opts.speakerLauncher({ node, natsUrl: this.natsUrl, natsArgs: (user) => this.lab.natsArgs(user), natsTokenArgs: (file) => this.lab.natsTokenArgs(file), replicas: 1, probeKeyArgs, extraArgs })
      : { args: ["speaker", "--node", node, "--nats", this.natsUrl, ...this.lab.natsArgs(`speaker-${node}`), ...config, ...probeKeyArgs, ...labMembershipArgs(), ...(this.opts.speakerArgs ?? []), ...extra], env: {} };
    this.speakerArgs.push(args);
    const argv = vipmeshArgv(...args);
    const proc = this.lab.spawn(node, argv, { name: `speaker-${node}-${Date.now()}`, env, onLine: (line) => this.speakerLines.push({ node: k, line }) });
    this.speakers.set(k, proc);
    return proc;
  }

  /** `vipmesh audit` of this run's log, with the failure-detector settings the speakers ran with. */
  audit(): Promise<AuditReport> {
    return auditLab({ natsUrls: async () => [await this.lab.natsHostUrl()], security: this.lab.natsClient(), speakerArgvs: this.speakerArgs });
  }

  async auditViolations(): Promise<Finding[]> {
    return violationsOf(await this.audit());
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
    await this.router.stop();
  }
}
