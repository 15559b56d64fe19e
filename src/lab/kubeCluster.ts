// An L2 cluster configured through Kubernetes: a real kube-apiserver (root namespace, bridged onto the lab at the
// nats namespace's address), `vipmesh controller` replicas in the nats namespace, and speakers taking their
// configuration from the API. Shared by the lab test and the create-to-reachable benchmark.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startKubeApiServer, type KubeApiServer } from "../testing/kubeApiServer.js";
import { bridgeKubeApi, labKubeconfig, type KubeBridge } from "./kubeBridge.js";
import { L2Cluster } from "./l2Cluster.js";
import { vipmeshArgv } from "./paths.js";
import { roleIp } from "./topology.js";
import type { LabLogger, ProcHandle } from "./types.js";

const NAMESPACE_MANIFEST = fileURLToPath(new URL("../../deploy/manifests/00-namespace.yaml", import.meta.url));

export type KubeL2Cluster = { api: KubeApiServer; cluster: L2Cluster; bridge: KubeBridge; controllers: ProcHandle[]; destroy: () => Promise<void> };

export async function startKubeL2Cluster(opts: { nodes: number; vips: string[]; controllers?: number; log: LabLogger }): Promise<KubeL2Cluster> {
  const host = roleIp("nats");
  const api = await startKubeApiServer({ extraSans: [host] });
  const dir = mkdtempSync(join(tmpdir(), "vipmesh-labkube-"));
  let cluster: L2Cluster | null = null;
  let bridge: KubeBridge | null = null;
  const controllers: ProcHandle[] = [];
  const destroy = async (): Promise<void> => {
    for (const c of controllers) c.kill("SIGTERM");
    await cluster?.destroy();
    await bridge?.close();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ns = await api.kubectl(["apply", "-f", NAMESPACE_MANIFEST]);
    if (ns.code !== 0) throw new Error(`kubectl apply namespace: ${ns.stderr}`);
    // The speakers start with the lab; the kubeconfig must exist before (its address is known in advance).
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, labKubeconfig(readFileSync(api.kubeconfig, "utf8"), host), { mode: 0o600 });
    cluster = await L2Cluster.start({ nodes: opts.nodes, vips: opts.vips, allocators: 0, speakerArgs: ["--kubeconfig", kubeconfig], log: opts.log });
    bridge = await bridgeKubeApi(cluster.lab, "nats", host, api.port);
    for (let i = 1; i <= (opts.controllers ?? 2); i++) {
      const argv = vipmeshArgv("controller", "--nats", cluster.natsUrl, "--kubeconfig", kubeconfig, "--id", `controller${i}`);
      controllers.push(cluster.lab.spawn("nats", argv, { name: `controller${i}` }));
    }
    return { api, cluster, bridge, controllers, destroy };
  } catch (err) {
    await destroy();
    throw err;
  }
}
