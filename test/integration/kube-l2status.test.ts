import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { publishEvent } from "../../src/adapters/nats/publish.js";
import { subjects } from "../../src/events/subjects.js";
import { credentialsFromKubeconfig } from "../../src/kube/credentials.js";
import { runL2StatusWriter } from "../../src/kube/status/l2StatusWriter.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { startAllocator, stopAllocator, until, type AllocatorProc } from "../support/allocatorProcs.js";

// A speaker's ServiceL2Status objects against kube-apiserver: created when its node claims a VIP, deleted when
// the VIP moves to another node. (The claims are published by hand; a real allocator gives the Service its IP.)

const repo = fileURLToPath(new URL("../../", import.meta.url));
let api: KubeApiServer;
let nats: NatsServer;
let nc: NatsConnection;
let allocator: AllocatorProc;

const CONFIG = `
kind: IPAddressPool
metadata: { name: lab }
spec: { addresses: [198.18.0.200/32] }
---
kind: L2Advertisement
metadata: { name: lab }
---
kind: Service
metadata: { name: web, namespace: default }
spec: { type: LoadBalancer, ports: [{ port: 80 }] }
`;

beforeAll(async () => {
  [api, nats] = await Promise.all([startKubeApiServer(), startNatsServer()]);
  const r = await api.kubectl(["apply", "-f", join(repo, "deploy/manifests/00-namespace.yaml")]);
  expect(r.code, r.stderr).toBe(0);
  nc = await connectNats({ servers: [nats.url], name: "l2status-test", pingIntervalMs: 2_000 });
  const file = join(mkdtempSync(join(tmpdir(), "l2status-")), "config.yaml");
  writeFileSync(file, CONFIG);
  allocator = startAllocator(nats.url, "a", ["--config", file]);
}, 120_000);

afterAll(async () => {
  if (allocator) await stopAllocator(allocator);
  await nc?.close();
  await Promise.all([api?.stop(), nats?.stop()]);
});

const claim = (node: string, term: number) =>
  publishEvent(jetstream(nc), subjects.vip("198.18.0.200"), {
    type: "VipClaimed",
    data: {
      vip: "198.18.0.200", node, incarnation: 1, term, reason: "unowned",
      evidence: { previousOwner: null, previousOwnerStatus: null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: 0, eligibleNodes: 2 },
    },
  });

type L2 = { items: { metadata: { labels: Record<string, string> }; status?: { node?: string; serviceName?: string; serviceNamespace?: string } }[] };
const l2Statuses = async (): Promise<L2["items"]> => {
  const r = await api.kubectl(["get", "servicel2statuses", "-n", "metallb-system", "-o", "json"]);
  return (JSON.parse(r.stdout) as L2).items;
};

describe("ServiceL2Status", () => {
  it("one per announcing node and Service, following the VIP's owner", async () => {
    await until("allocator at the head of the log", () => allocator.lines.some((l) => l["msg"] === "caught up with the log; allocating"));
    const stop = new AbortController();
    const kc = credentialsFromKubeconfig(api.kubeconfig);
    const log = pino({ level: "silent" });
    const writers = ["node1", "node2"].map((node) => runL2StatusWriter({ kc, natsServers: [nats.url], namespace: "metallb-system", node, log }, stop.signal));
    expect(await claim("node1", 1)).toMatchObject({ ok: true });
    await until("node1's status", async () => (await l2Statuses()).some((o) => o.status?.node === "node1"), 20_000, 200);
    const [first] = await l2Statuses();
    expect(first?.status).toEqual({ node: "node1", serviceName: "web", serviceNamespace: "default" });
    expect(first?.metadata.labels["metallb.io/node"]).toBe("node1");
    expect(await claim("node2", 2)).toMatchObject({ ok: true });
    await until("moved to node2", async () => {
      const all = await l2Statuses();
      return all.length === 1 && all[0]?.status?.node === "node2";
    }, 20_000, 200);
    stop.abort();
    await Promise.all(writers);
  });
});
