// A lab cluster configured through Kubernetes: a real kube-apiserver (root namespace, bridged onto the lab at the
// nats namespace's address), `vipmesh controller` replicas in the nats namespace, and speakers taking their
// configuration from the API, each started with the command line the chart renders. Speakers log in to NATS as the
// chart's default has them (nats.auth.mode callout: their Pod's ServiceAccount token, checked by the controllers'
// auth callout with the API server; src/lab/kubeSpeakerTokens.ts), or with `natsAuthMode: "static"` as static users. `startKubeLab` wraps any lab cluster (L2 here, BGP in kubeBgpCluster.ts);
// `startKubeL2Cluster` is the L2 one, shared by the lab test and the create-to-reachable benchmark.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startKubeApiServer, type KubeApiServer } from "../testing/kubeApiServer.js";
import { chartSpeakerLauncher, defaultChartCommands, labCommand, type SpeakerLauncher } from "./chartCommands.js";
import { bridgeKubeApi, labKubeconfig, type KubeBridge } from "./kubeBridge.js";
import { L2Cluster } from "./l2Cluster.js";
import type { Lab, SpeakerLogin } from "./lab.js";
import { calloutIdentityOf, createKubeSpeakerTokens, type KubeSpeakerTokens } from "./kubeSpeakerTokens.js";
import { vipmeshArgv } from "./paths.js";
import { nodeRole, roleIp } from "./topology.js";
import type { LabLogger, ProcHandle } from "./types.js";

const NAMESPACE_MANIFEST = fileURLToPath(new URL("../../deploy/manifests/00-namespace.yaml", import.meta.url));

/** The chart's `nats.auth.mode`: speakers log in with their Pod's token through the auth callout, or as static users. */
export type NatsAuthMode = "callout" | "static";

export type KubeLabOptions = {
  nodes: number;
  controllers?: number;
  /** Default callout, the chart's default. */
  natsAuthMode?: NatsAuthMode;
};

/** What startKubeLab needs of the cluster it wraps. */
export type KubeLabCluster = { readonly lab: Lab; readonly natsUrl: string; readonly streamReplicas?: number; destroy: () => Promise<void> };

// Each controller has its own metrics port: they share the nats namespace, while in a cluster each Pod has its own.
const CONTROLLER_METRICS_PORT_BASE = 7480;

export type KubeLab<C extends KubeLabCluster> = {
  api: KubeApiServer;
  cluster: C;
  bridge: KubeBridge;
  controllers: ProcHandle[];
  /** stdout lines of every controller (JSON log lines), for diagnostics. */
  controllerLines: string[];
  /** How the speakers log in to NATS: the chart's `nats.auth.mode` it was rendered with. */
  natsAuthMode: NatsAuthMode;
  /** The speakers' Pod tokens (callout mode), null with static users. */
  speakerTokens: KubeSpeakerTokens | null;
  /** Stops everything (controllers, the lab, the bridge, the API server); idempotent. */
  destroy: () => Promise<void>;
};

/**
 * Starts the API server, then the cluster `startCluster` makes (its speakers get `kubeconfig`, whose server is the
 * bridge's lab address, known in advance, and start as the chart's DaemonSet runs them), then the bridge and
 * `controllers` `vipmesh controller`s (default 2) as the chart's Deployment runs them (src/lab/chartCommands.ts).
 * Whatever has started is stopped again when a later step fails.
 */
export async function startKubeLab<C extends KubeLabCluster>(
  opts: KubeLabOptions,
  startCluster: (kubeconfig: string, speakerLauncher: SpeakerLauncher, speakerLogin: SpeakerLogin) => Promise<C>,
): Promise<KubeLab<C>> {
  const host = roleIp("nats");
  const mode = opts.natsAuthMode ?? "callout";
  const nodes = Array.from({ length: opts.nodes }, (_, i) => nodeRole(i + 1));
  // Rendered as an operator would install it in each mode (static lists the Nodes, as the chart's lookup would).
  const chart = await defaultChartCommands(mode === "static" ? ["nats.auth.mode=static", `nats.speakerNodes={${nodes.join(",")}}`] : []);
  const api = await startKubeApiServer({ extraSans: [host] });
  let dir: string | null = null;
  let cluster: C | null = null;
  let bridge: KubeBridge | null = null;
  let speakerTokens: KubeSpeakerTokens | null = null;
  const controllers: ProcHandle[] = [];
  const controllerLines: string[] = [];
  let stopping: Promise<void> | undefined;
  const teardown = async (): Promise<void> => {
    for (const c of controllers) c.kill("SIGTERM");
    // Every step runs even when an earlier one fails; the first failure is reported.
    const steps = [() => cluster?.destroy(), () => bridge?.close(), () => api.stop()];
    const failures: unknown[] = [];
    for (const step of steps) await Promise.resolve().then(step).catch((err: unknown) => failures.push(err));
    if (dir !== null) rmSync(dir, { recursive: true, force: true });
    if (failures.length > 0) throw failures[0];
  };
  const destroy = (): Promise<void> => (stopping ??= teardown());
  try {
    dir = mkdtempSync(join(tmpdir(), "vipmesh-labkube-"));
    const ns = await api.kubectl(["apply", "-f", NAMESPACE_MANIFEST]);
    if (ns.code !== 0) throw new Error(`kubectl apply namespace: ${ns.stderr}`);
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, labKubeconfig(readFileSync(api.kubeconfig, "utf8"), host), { mode: 0o600 });
    speakerTokens = mode === "callout" ? await createKubeSpeakerTokens(api, calloutIdentityOf(chart.controller), nodes, dir) : null;
    cluster = await startCluster(kubeconfig, chartSpeakerLauncher(chart, speakerTokens?.fileOf), mode);
    bridge = await bridgeKubeApi(cluster.lab, "nats", host, api.port);
    for (let i = 1; i <= (opts.controllers ?? 2); i++) {
      const { lab, natsUrl, streamReplicas } = cluster;
      const extraArgs = ["--kubeconfig", kubeconfig, "--id", `controller${i}`];
      const calloutArgs = mode === "callout" ? lab.calloutArgs() : [];
      const { args, env } = labCommand(chart.controller, { natsUrl, natsArgs: (user) => lab.natsArgs(user), replicas: streamReplicas ?? 1, metricsPort: CONTROLLER_METRICS_PORT_BASE + i, extraArgs, calloutArgs });
      controllers.push(lab.spawn("nats", vipmeshArgv(...args), { name: `controller${i}`, env, onLine: (line) => controllerLines.push(line) }));
    }
    return { api, cluster, bridge, controllers, controllerLines, natsAuthMode: mode, speakerTokens, destroy };
  } catch (err) {
    await destroy().catch(() => undefined);
    throw err;
  }
}

export type KubeL2Cluster = KubeLab<L2Cluster>;

export function startKubeL2Cluster(opts: KubeLabOptions & { vips: string[]; log: LabLogger; speakerArgs?: string[] }): Promise<KubeL2Cluster> {
  return startKubeLab(opts, (kubeconfig, speakerLauncher, speakerLogin) =>
    L2Cluster.start({ nodes: opts.nodes, vips: opts.vips, allocators: 0, speakerArgs: ["--kubeconfig", kubeconfig, ...(opts.speakerArgs ?? [])], speakerLauncher, speakerLogin, log: opts.log }),
  );
}
