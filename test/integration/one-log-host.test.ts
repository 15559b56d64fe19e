import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { stopAllocator, type AllocatorProc } from "../support/allocatorProcs.js";
import { runCli, stopCli, type CliProc } from "../support/cliProcs.js";
import { startControllerWith } from "../support/controllerProcs.js";
import { freeTcpPort } from "../support/promText.js";

// One log host per process (issue 12), counted by nats-server itself (its /connz and /jsz monitoring): a compiled
// `vipmesh speaker` with Kubernetes configured (speaker + node status writer) holds one NATS connection and one
// consumer on each stream, and a compiled `vipmesh controller` (ingest + allocator + status writer, no auth callout)
// one connection and one consumer on each stream too. Before, the speaker opened two connections and four consumers,
// the controller three connections and four consumers.

let api: KubeApiServer;
let nats: NatsServer;
let speaker: CliProc | undefined;
let controller: AllocatorProc | undefined;
const ports = { speaker: 0, controller: 0 };

type Connz = { connections: { name?: string }[] };
type Jsz = { account_details?: { stream_detail?: { name: string; consumer_detail?: { name: string }[] }[] }[] };

async function monitor<T>(path: string): Promise<T> {
  const r = await fetch(`${nats.monitorUrl ?? ""}${path}`, { signal: AbortSignal.timeout(5_000) });
  return (await r.json()) as T;
}

/** The vipmesh clients connected, by connection name, and the consumers on each stream. */
async function counted(): Promise<{ connections: string[]; consumers: Record<string, number> }> {
  const connz = await monitor<Connz>("/connz?limit=1000");
  const jsz = await monitor<Jsz>("/jsz?accounts=true&streams=true&consumers=true");
  const consumers: Record<string, number> = {};
  for (const account of jsz.account_details ?? []) {
    for (const s of account.stream_detail ?? []) if (s.name === "EVENTS" || s.name === "HEARTBEATS") consumers[s.name] = (consumers[s.name] ?? 0) + (s.consumer_detail?.length ?? 0);
  }
  return { connections: connz.connections.map((c) => c.name ?? "").filter((n) => n.startsWith("vipmesh-")).sort(), consumers };
}

async function ready(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(2_000) }).then((x) => x.status, () => 0);
    if (r === 200) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the process on ${port} did not become ready`);
}

const metricsFlags = (port: number): string[] => ["--metrics-port", String(port), "--metrics-address", "127.0.0.1"];

beforeAll(async () => {
  [api, nats] = await Promise.all([startKubeApiServer(), startNatsServer({ monitor: true })]);
  await api.kubectl(["create", "namespace", "metallb-system"]);
  ports.speaker = await freeTcpPort();
  ports.controller = await freeTcpPort();
}, 120_000);

afterAll(async () => {
  if (speaker) await stopCli(speaker);
  if (controller) await stopAllocator(controller, "SIGTERM");
  await Promise.all([api?.stop(), nats?.stop()]);
});

describe("one log host per process (counted at the nats-server)", () => {
  it("a speaker with Kubernetes configured: one connection, one consumer per stream", async () => {
    // As admin: permissions per role are tested elsewhere; here the count is. No configuration: nothing to announce.
    speaker = runCli(["speaker", "--node", "n1", "--nats", nats.url, ...nats.cliArgs(), "--kubeconfig", api.kubeconfig, "--probe-port", "0", "--insecure-probes", ...metricsFlags(ports.speaker)]);
    await ready(ports.speaker);
    expect(speaker.out.join("\n")).toContain("node status writer started"); // the second reactor runs
    expect(speaker.out.join("\n")).not.toMatch(/node-status failed/);
    expect(await counted()).toEqual({ connections: ["vipmesh-speaker-n1"], consumers: { EVENTS: 1, HEARTBEATS: 1 } });
  });

  it("a controller: one connection, one consumer per stream (the speaker's still the only others)", async () => {
    controller = startControllerWith(nats, api.kubeconfig, "c1", metricsFlags(ports.controller));
    await ready(ports.controller);
    expect(await counted()).toEqual({ connections: ["vipmesh-controller-c1", "vipmesh-speaker-n1"], consumers: { EVENTS: 2, HEARTBEATS: 2 } });
  });
});
