// A lab cluster configured through Kubernetes: a real kube-apiserver (root namespace, bridged onto the lab at the
// nats namespace's address), `vipmesh controller` replicas in the nats namespace, and speakers taking their
// configuration from the API, each started with the command line the chart renders. `startKubeLab` wraps any lab cluster (L2 here, BGP in kubeBgpCluster.ts);
// `startKubeL2Cluster` is the L2 one, shared by the lab test and the create-to-reachable benchmark.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startKubeApiServer, type KubeApiServer } from "../testing/kubeApiServer.js";
import { chartSpeakerLauncher, defaultChartCommands, labCommand, type SpeakerLauncher } from "./chartCommands.js";
import { bridgeKubeApi, labKubeconfig, type KubeBridge } from "./kubeBridge.js";
import { L2Cluster } from "./l2Cluster.js";
import type { Lab } from "./lab.js";
import { vipmeshArgv } from "./paths.js";
import { roleIp } from "./topology.js";
import type { LabLogger, ProcHandle } from "./types.js";

const NAMESPACE_MANIFEST = fileURLToPath(new URL("../../deploy/manifests/00-namespace.yaml", import.meta.url));

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
  opts: { controllers?: number },
  startCluster: (kubeconfig: string, speakerLauncher: SpeakerLauncher) => Promise<C>,
): Promise<KubeLab<C>> {
  const host = roleIp("nats");
  const chart = await defaultChartCommands();
  const api = await startKubeApiServer({ extraSans: [host] });
  let dir: string | null = null;
  let cluster: C | null = null;
  let bridge: KubeBridge | null = null;
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
    cluster = await startCluster(kubeconfig, chartSpeakerLauncher(chart));
    bridge = await bridgeKubeApi(cluster.lab, "nats", host, api.port);
    for (let i = 1; i <= (opts.controllers ?? 2); i++) {
      const { lab, natsUrl, streamReplicas } = cluster;
      const extraArgs = ["--kubeconfig", kubeconfig, "--id", `controller${i}`];
      const { args, env } = labCommand(chart.controller, { natsUrl, natsArgs: (user) => lab.natsArgs(user), replicas: streamReplicas ?? 1, metricsPort: CONTROLLER_METRICS_PORT_BASE + i, extraArgs });
      controllers.push(lab.spawn("nats", vipmeshArgv(...args), { name: `controller${i}`, env, onLine: (line) => controllerLines.push(line) }));
    }
    return { api, cluster, bridge, controllers, controllerLines, destroy };
  } catch (err) {
    await destroy().catch(() => undefined);
    throw err;
  }
}

export type KubeL2Cluster = KubeLab<L2Cluster>;

export function startKubeL2Cluster(opts: { nodes: number; vips: string[]; controllers?: number; log: LabLogger }): Promise<KubeL2Cluster> {
  return startKubeLab(opts, (kubeconfig, speakerLauncher) =>
    L2Cluster.start({ nodes: opts.nodes, vips: opts.vips, allocators: 0, speakerArgs: ["--kubeconfig", kubeconfig], speakerLauncher, log: opts.log }),
  );
}
