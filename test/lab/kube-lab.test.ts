import { readFileSync } from "node:fs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeL2Cluster, type KubeL2Cluster } from "../../src/lab/kubeCluster.js";
import { l2Manifests } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { chartCommands } from "../../src/lab/chartCommands.js";
import { renderChart } from "../../src/testing/helmChart.js";
import { auditThenDestroy } from "../support/labAudit.js";

// Kubernetes in the lab: a real kube-apiserver bridged onto the lab network, two `vipmesh controller`s, speakers
// taking their configuration from the API, all started with the command lines the Helm chart renders; speakers log in
// to NATS through the controllers' auth callout with their Pod's ServiceAccount token from the API server. A Service created with kubectl is answered in the lab; with the API
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
    await auditThenDestroy(k?.cluster, () => k.destroy());
  });

  it("runs the speakers and controllers with the command lines the chart renders", async () => {
    const chart = chartCommands(await renderChart());
    const proc = (pid: number): { argv: string[]; env: string[] } => ({
      argv: readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0"),
      env: readFileSync(`/proc/${pid}/environ`, "utf8").split("\0"),
    });
    // The lab replaces only the NATS connection, the probe key file and the stream replicas (src/lab/chartCommands.ts).
    const kept = (args: string[]): string[] => args.filter((a) => !/^--(nats[a-z-]*|probe-key-file|replicas)=/.test(a)).map((a) => a.replaceAll("$(NODE_NAME)", "node1"));
    const speaker = proc(k.cluster.speakers.get(1)?.pid ?? 0);
    expect(kept(chart.speaker.args).length).toBeGreaterThan(3);
    for (const arg of kept(chart.speaker.args)) expect(speaker.argv).toContain(arg);
    expect(speaker.env).toEqual(expect.arrayContaining(["NODE_NAME=node1", "VIPMESH_METRICS_PORT=7472"]));
    const controller = proc(k.controllers[0]?.pid ?? 0);
    for (const arg of kept(chart.controller.args)) expect(controller.argv).toContain(arg);
  });

  it("speakers log in through the auth callout with their Pod's token, each as its own node only (the chart's default)", async () => {
    expect(k.natsAuthMode).toBe("callout");
    const argv = readFileSync(`/proc/${k.cluster.speakers.get(1)?.pid ?? 0}/cmdline`, "utf8").split("\0");
    expect(argv).toContain("--nats-token-file");
    expect(argv.some((a) => a.startsWith("--nats-user"))).toBe(false);
    // The lab's NATS has no user for any speaker: only the controllers' callout lets them in.
    expect(readFileSync(`${k.cluster.lab.runDir}/nats-server.conf`, "utf8")).not.toMatch(/speaker-node/);
    const logins = (): { node: unknown; pod: unknown }[] =>
      k.controllerLines.flatMap((l) => { try { return [JSON.parse(l) as Record<string, unknown>]; } catch { return []; } })
        .filter((l) => l["msg"] === "speaker logged in to NATS").map((l) => ({ node: l["node"], pod: l["pod"] }));
    for (let i = 0; i < 50 && new Set(logins().map((l) => l.node)).size < 2; i++) await sleep(200);
    expect(logins()).toEqual(expect.arrayContaining([{ node: "node1", pod: "vipmesh-speaker-node1" }, { node: "node2", pod: "vipmesh-speaker-node2" }]));
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
