import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import type { AllocatorProc } from "../support/allocatorProcs.js";
import { stopAllocator } from "../support/allocatorProcs.js";
import { startControllerWith } from "../support/controllerProcs.js";
import { freeTcpPort, sampleValue } from "../support/promText.js";

// `vipmesh controller` (compiled) against a real kube-apiserver and nats-server: its /readyz covers the three agents
// it runs (allocator, Kubernetes ingest, status writer), each named when it is not ready.

let api: KubeApiServer;
let nats: NatsServer;
let controller: AllocatorProc;
let port: number;

const get = async (path: string): Promise<{ status: number; body: string }> => {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: r.status, body: await r.text() };
};

async function readyz(status: number, body: (b: string) => boolean, ms = 60_000): Promise<string> {
  const deadline = Date.now() + ms;
  let last = "";
  while (Date.now() < deadline) {
    const r = await get("/readyz").catch((err: unknown) => ({ status: 0, body: String(err) }));
    last = `${r.status} ${r.body}`;
    if (r.status === status && body(r.body)) return r.body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for /readyz ${status}; last: ${last}`);
}

beforeAll(async () => {
  [api, nats] = await Promise.all([startKubeApiServer(), startNatsServer()]);
  await api.kubectl(["create", "namespace", "metallb-system"]);
  port = await freeTcpPort();
  controller = startControllerWith(nats, api.kubeconfig, "c1", ["--metrics-port", String(port), "--metrics-address", "127.0.0.1"]);
}, 120_000);

afterAll(async () => {
  if (controller) await stopAllocator(controller, "SIGTERM");
  await Promise.all([api?.stop(), nats?.stop()]);
});

describe("vipmesh controller's readiness (real kube-apiserver and nats-server)", () => {
  it("is ready once its allocator, ingest and status writer have all caught up", async () => {
    expect(await readyz(200, (b) => b === "ok\n")).toBe("ok\n");
    const metrics = (await get("/metrics")).body;
    expect(sampleValue(metrics, "vipmesh_ready")).toBe(1);
    expect(sampleValue(metrics, "vipmesh_build_info", { command: "controller" })).toBe(1);
  });

  it("names each of its agents while NATS is away, and is ready again once it is back", async () => {
    await nats.kill(); // the port stays free until restart() listens on it again
    const body = await readyz(503, (b) => ["allocator", "ingest", "status"].every((part) => b.includes(`${part}: not connected to NATS`)));
    expect(body.split("\n").filter((l) => l.endsWith("not connected to NATS")).sort()).toEqual(["allocator: not connected to NATS", "ingest: not connected to NATS", "status: not connected to NATS"]);
    expect((await get("/healthz")).status).toBe(200);
    await nats.restart();
    expect(await readyz(200, (b) => b === "ok\n")).toBe("ok\n");
  });
});
