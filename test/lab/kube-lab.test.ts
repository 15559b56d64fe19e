import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeL2Cluster, type KubeL2Cluster } from "../../src/lab/kubeCluster.js";
import { l2Manifests } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";

// Kubernetes in the lab: a real kube-apiserver bridged onto the lab network, two `vipmesh controller`s, speakers
// taking their configuration from the API. A Service created with kubectl is answered in the lab; with the API
// server gone for 60 s nothing changes, and afterwards no allocation has changed.

const VIP = "198.18.0.201";
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("Kubernetes in the lab", () => {
  let k: KubeL2Cluster;

  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await k.api.kubectl(args, input === undefined ? {} : { input });
    expect(r.code, `kubectl ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const statusIps = async (name: string): Promise<string> =>
    (await k.api.kubectl(["get", "service", name, "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"])).stdout;
  const autoService = `{"apiVersion":"v1","kind":"Service","metadata":{"name":"auto","namespace":"default"},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}`;

  beforeAll(async () => {
    k = await startKubeL2Cluster({ nodes: 2, vips: [VIP], log: pino({ level: "warn" }) });
  }, 180_000);

  afterAll(async () => {
    await k?.destroy();
  });

  it("a Service created with kubectl gets its IP in status and is answered in the lab", async () => {
    await ok(["apply", "-f", "-"], l2Manifests([VIP]));
    await ok(["apply", "-f", "-"], autoService);
    await k.cluster.waitForOwner(VIP, 30_000);
    for (let i = 0; i < 100 && ((await statusIps("web0")) !== VIP || (await statusIps("auto")) === ""); i++) await sleep(200);
    expect(await statusIps("web0")).toBe(VIP);
    expect(await statusIps("auto")).toMatch(/^198\.18\.0\.2\d\d$/);
  });

  it("with the API server gone for 60 s, the announcement does not change; afterwards no allocation changed", async () => {
    const owner = await k.cluster.waitForOwner(VIP);
    const auto = await statusIps("auto");
    await k.api.stopApiServer();
    const until = Date.now() + 60_000;
    while (Date.now() < until) {
      expect(await k.cluster.resolveOwner(VIP)).toBe(owner);
      await sleep(5_000);
    }
    await k.api.startApiServer();
    await sleep(5_000);
    expect(await k.cluster.resolveOwner(VIP)).toBe(owner);
    expect(await statusIps("web0")).toBe(VIP);
    expect(await statusIps("auto")).toBe(auto);
  });
});
