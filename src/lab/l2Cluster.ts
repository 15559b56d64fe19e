// An L2-mode vipmesh cluster in a lab: NATS, allocators (in the nats namespace), one speaker and backend per
// node, VIPs exposed on every node, and helpers to find a VIP's owner and to fail nodes. Shared by the demo, the lab tests and the benchmarks.
import { initLabLog } from "./nats.js";
import { labMembershipArgs } from "./labMembership.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createLab, type Lab, type SpeakerLogin } from "./lab.js";
import { imageArgv, type ImageLaunch } from "./imageRootfs.js";
import { vipmeshArgv } from "./paths.js";
import { nodeRole, roleIp } from "./topology.js";
import type { LabLogger, ProcHandle } from "./types.js";
import { waitFor } from "./run.js";
import { LabNatsCluster } from "./natsCluster.js";
import { labProbeKeyArgs } from "./probeKey.js";
import { chartNodeOptions, renderedManifestCommands, type SpeakerLauncher } from "./chartCommands.js";
import { auditLab, violationsOf } from "./labAudit.js";
import type { AuditReport, Finding } from "../projections/audit/findings.js";


/** Allocator i of the lab serves /metrics on this + i (7473, 7474, ...), beside the others in the nats namespace. */
export const ALLOCATOR_METRICS_PORT_BASE = 7472;

export type L2ClusterOptions = {
  nodes: number;
  vips: string[];
  log: LabLogger;
  speakerArgs?: string[];
  /** Three NATS servers in a cluster (streams replicated 3 times) instead of one. */
  natsCluster?: boolean;
  /** Allocator replicas, run in the nats namespace (default 2): the Services' VIPs are allocated on the log. */
  allocators?: number;
  /** Speakers run from the container image's root filesystem (its user, and only the capabilities given). */
  speakerImage?: Omit<ImageLaunch, "binds">;
  /** The configuration file's content instead of `l2Manifests(vips)` (the scale benchmark's thousands of Services). */
  manifests?: string;
  /** How speakers are started (the chart's command line: src/lab/chartCommands.ts); default the lab's own, with --config. */
  speakerLauncher?: SpeakerLauncher;
  /** How speakers log in to NATS (src/lab/lab.ts); default static users. */
  speakerLogin?: SpeakerLogin;
};

export function l2Manifests(vips: readonly string[]): string {
  const services = vips.map(
    (vip, i) => `---
apiVersion: v1
kind: Service
metadata: { name: web${i}, namespace: default, annotations: { metallb.io/loadBalancerIPs: "${vip}" } }
spec: { type: LoadBalancer, externalTrafficPolicy: Cluster, ipFamilies: [${vip.includes(":") ? "IPv6" : "IPv4"}], ipFamilyPolicy: SingleStack, ports: [{ port: 80, protocol: TCP }] }
`,
  );
  return `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lab, namespace: metallb-system }
spec: { addresses: ["198.18.0.200-198.18.0.250", "198.18.5.0/24", "2001:db8:0:1::200-2001:db8:0:1::250"] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: lab, namespace: metallb-system }
spec: { ipAddressPools: [lab] }
${services.join("")}`;
}

export class L2Cluster {
  readonly speakers = new Map<number, ProcHandle>();
  readonly speakerLines: { node: number; line: string }[] = [];
  readonly allocators: ProcHandle[] = [];
  readonly allocatorLines: string[] = [];
  /** Every speaker's arguments, for the audit's failure-detector settings. */
  private readonly speakerArgs: string[][] = [];

  private constructor(
    readonly lab: Lab,
    readonly natsUrl: string,
    readonly natsCluster: LabNatsCluster | null,
    readonly configPath: string,
    private readonly opts: L2ClusterOptions,
    /** The chart speaker's V8 flags, which the lab's own command line runs with too. */
    private readonly nodeOptions: string,
  ) {}

  static async start(opts: L2ClusterOptions): Promise<L2Cluster> {
    const lab = await createLab({ nodes: opts.nodes, log: opts.log, ...(opts.speakerLogin ? { speakerLogin: opts.speakerLogin } : {}) });
    try {
      const natsCluster = opts.natsCluster ? new LabNatsCluster(lab) : null;
      await natsCluster?.startAll();
      const natsUrl = natsCluster ? natsCluster.urls.join(",") : await lab.startNats();
      await initLabLog(lab, natsUrl, natsCluster ? 3 : 1);
      await lab.startBackends();
      for (const vip of opts.vips) await lab.exposeVipOnAllNodes(vip);
      const configPath = join(lab.runDir, "vipmesh.yaml");
      writeFileSync(configPath, opts.manifests ?? l2Manifests(opts.vips));
      const nodeOptions = opts.speakerLauncher ? "" : chartNodeOptions(renderedManifestCommands().speaker);
      const cluster = new L2Cluster(lab, natsUrl, natsCluster, configPath, opts, nodeOptions);
      for (let i = 1; i <= (opts.allocators ?? 2); i++) cluster.startAllocator(i);
      for (let k = 1; k <= opts.nodes; k++) cluster.startSpeaker(k);
      return cluster;
    } catch (err) {
      await lab.destroy();
      throw err;
    }
  }

  startSpeaker(k: number): ProcHandle {
    const node = nodeRole(k);
    const { args, env } = this.speakerCommand(node);
    this.speakerArgs.push(args);
    const image = this.opts.speakerImage;
    // From the image, the process sees the image's environment and the container's (the launcher's), nothing else.
    const imageEnv = image ? [...image.env, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)] : [];
    const argv = image ? imageArgv({ ...image, env: imageEnv, binds: [this.lab.runDir] }, args) : vipmeshArgv(...args);
    const proc = this.lab.spawn(node, argv, { name: `speaker-${node}-${Date.now()}`, env, onLine: (line) => this.speakerLines.push({ node: k, line }) });
    this.speakers.set(k, proc);
    return proc;
  }

  /** Stream replicas of this cluster's NATS. */
  get streamReplicas(): number {
    return this.natsCluster ? 3 : 1;
  }

  /** The speaker's arguments (after the CLI) and environment: the launcher's, else the lab's own. */
  private speakerCommand(node: string): { args: string[]; env: Record<string, string> } {
    const probeKeyArgs = labProbeKeyArgs(this.lab.runDir);
    const extraArgs = [...labMembershipArgs(), ...(this.opts.speakerArgs ?? [])];
    const natsArgs = (user: string): string[] => this.lab.natsArgs(user);
    const natsTokenArgs = (file: string): string[] => this.lab.natsTokenArgs(file);
    if (this.opts.speakerLauncher) return this.opts.speakerLauncher({ node, natsUrl: this.natsUrl, natsArgs, natsTokenArgs, replicas: this.streamReplicas, probeKeyArgs, extraArgs });
    const replicas = this.natsCluster ? ["--replicas", "3"] : [];
    // The chart's flags after any this process was given (a benchmark's preloaded probe).
    const nodeOptions = [process.env["NODE_OPTIONS"] ?? "", this.nodeOptions].filter((o) => o !== "").join(" ");
    const env: Record<string, string> = nodeOptions === "" ? {} : { NODE_OPTIONS: nodeOptions };
    return { args: ["speaker", "--node", node, "--nats", this.natsUrl, ...natsArgs(`speaker-${node}`), "--config", this.configPath, ...replicas, ...probeKeyArgs, ...extraArgs], env };
  }

  /**
   * An allocator replica in the nats namespace; replicas need no leader (claims are compare-and-set). They share that
   * namespace, so each serves /metrics on a port of its own: allocator i on ALLOCATOR_METRICS_PORT_BASE + i.
   */
  startAllocator(i: number): ProcHandle {
    const replicas = this.natsCluster ? ["--replicas", "3"] : [];
    const metrics = ["--metrics-port", String(ALLOCATOR_METRICS_PORT_BASE + i)];
    const argv = vipmeshArgv("allocator", "--nats", this.natsUrl, ...this.lab.natsArgs(`allocator-allocator${i}`), "--allocator-id", `allocator${i}`, ...replicas, ...metrics);
    const proc = this.lab.spawn("nats", argv, { name: `allocator${i}-${Date.now()}`, onLine: (line) => this.allocatorLines.push(line) });
    this.allocators.push(proc);
    return proc;
  }

  /** The node whose MAC the client resolves for `vip`, asked with a fresh ARP request (NDP solicitation for IPv6). */
  async resolveOwner(vip: string): Promise<number | null> {
    if (vip.includes(":")) return this.resolveOwnerV6(vip);
    // Habets' arping (Debian's "arping"): "-i" names the interface; replies read "... bytes from MAC (IP): ...".
    const r = await this.lab.exec("client", ["arping", "-c", "1", "-w", "1", "-i", "eth0", vip], { allowFail: true, timeoutMs: 3_000 });
    const mac = /from ([0-9a-f]{2}(?::[0-9a-f]{2}){5})/i.exec(r.stdout)?.[1]?.toLowerCase();
    if (!mac) return null;
    for (let k = 1; k <= this.opts.nodes; k++) if (this.lab.nodeMac(k) === mac) return k;
    return null;
  }

  private async resolveOwnerV6(vip: string): Promise<number | null> {
    const r = await this.lab.exec("client", ["ndisc6", "-1", "-r", "1", "-w", "1000", vip, "eth0"], { allowFail: true, timeoutMs: 3_000 });
    const mac = /link-layer address:\s*([0-9a-f]{2}(?::[0-9a-f]{2}){5})/i.exec(r.stdout)?.[1]?.toLowerCase();
    if (!mac) return null;
    for (let k = 1; k <= this.opts.nodes; k++) if (this.lab.nodeMac(k) === mac) return k;
    return null;
  }

  /** Waits until `vip` is answered by some node, and returns it. */
  waitForOwner(vip: string, timeoutMs = 15_000, not?: number): Promise<number> {
    return waitFor(`an owner for ${vip}`, async () => {
      const k = await this.resolveOwner(vip);
      return k !== null && k !== not ? k : undefined;
    }, timeoutMs, 100);
  }

  /**
   * A node crash: its cable pulled, then its speaker killed with SIGKILL. Returns the moment both had happened,
   * so no request started after it can still reach the node.
   */
  async crashNode(k: number): Promise<number> {
    await this.lab.setLink(nodeRole(k), false);
    this.speakers.get(k)?.kill("SIGKILL");
    return Date.now();
  }

  async reviveNode(k: number): Promise<void> {
    await this.lab.setLink(nodeRole(k), true);
    await this.speakers.get(k)?.exited;
    this.startSpeaker(k);
  }

  /** Loopback URLs reaching the lab's NATS server(s) from this process, for replay and inspection. */
  async hostNatsUrls(): Promise<string[]> {
    if (!this.natsCluster) return [await this.lab.natsHostUrl()];
    const urls: string[] = [];
    for (const url of this.natsCluster.urls) {
      const f = await this.lab.forwardToHost("nats", roleIp("nats"), Number(new URL(url).port));
      urls.push(`nats://${f.host}:${f.port}`);
    }
    return urls;
  }

  /** `vipmesh audit` of this run's log, with the failure-detector settings the speakers ran with. */
  audit(): Promise<AuditReport> {
    return auditLab({ natsUrls: () => this.hostNatsUrls(), security: this.lab.natsClient(), speakerArgvs: this.speakerArgs });
  }

  async auditViolations(): Promise<Finding[]> {
    return violationsOf(await this.audit());
  }

  destroy(): Promise<void> {
    return this.lab.destroy();
  }
}
