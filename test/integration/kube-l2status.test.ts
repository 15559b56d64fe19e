import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { credentialsFromKubeconfig } from "../../src/kube/credentials.js";
import { startNodeStatusWriter, type RunningWriter } from "../support/nodeStatusWriters.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { startAllocator, stopAllocator, until, type AllocatorProc } from "../support/allocatorProcs.js";
import { FakeSpeakers, iface, serviceAccountKubeconfig } from "../support/controllerProcs.js";

// A speaker's ServiceL2Status and ServiceBGPStatus objects against kube-apiserver, written by the speaker's status
// writer (runNodeStatusWriter on its own log host, rendering the speaker's decision functions' answers, as the speaker's service account) from a real nats-server: ServiceL2Status created when
// its node answers for a VIP, with the interface it answers on, updated when that changes, deleted when the VIP moves;
// ServiceBGPStatus per Service and node with the BGPPeers it is advertised to. Heartbeats and claims are published by
// hand (no speakers run); a real allocator gives the Services their IPs from the configuration file.

const repo = fileURLToPath(new URL("../../", import.meta.url));
let api: KubeApiServer;
let nats: NatsServer;
let nc: NatsConnection;
let allocator: AllocatorProc;
let speakers: FakeSpeakers;
let configFile = "";
let writers: RunningWriter[] = [];

const config = (adPeers: string) => `
kind: IPAddressPool
metadata: { name: lab }
spec: { addresses: [198.18.0.200/32] }
---
kind: IPAddressPool
metadata: { name: bgp }
spec: { addresses: [198.18.9.0/30] }
---
kind: L2Advertisement
metadata: { name: lab }
spec: { ipAddressPools: [lab] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router-b }
spec: { myASN: 64512, peerASN: 64500, peerAddress: 198.18.2.2 }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router-a }
spec: { myASN: 64512, peerASN: 64500, peerAddress: 198.18.2.1 }
---
kind: BGPAdvertisement
metadata: { name: bgp }
spec: { ipAddressPools: [bgp]${adPeers} }
---
kind: Service
metadata: { name: web, namespace: default, annotations: { metallb.io/address-pool: lab } }
spec: { type: LoadBalancer, ports: [{ port: 80 }] }
---
kind: Service
metadata: { name: api, namespace: default, annotations: { metallb.io/address-pool: bgp } }
spec: { type: LoadBalancer, ports: [{ port: 443 }] }
`;

beforeAll(async () => {
  [api, nats] = await Promise.all([startKubeApiServer(), startNatsServer()]);
  for (const dir of ["deploy/manifests/00-namespace.yaml", "deploy/manifests/rbac.yaml"]) {
    const r = await api.kubectl(["apply", "-f", join(repo, dir)]);
    expect(r.code, r.stderr).toBe(0);
  }
  nc = await connectNats({ servers: [nats.url], security: nats.client(), name: "l2status-test", pingIntervalMs: 2_000 });
  configFile = join(mkdtempSync(join(tmpdir(), "l2status-")), "config.yaml");
  writeFileSync(configFile, config(""));
  allocator = startAllocator(nats, "a", ["--config", configFile, "--config-poll", "200"]);
  speakers = new FakeSpeakers(nc);
  speakers.set("node1", [iface("eth0", ["10.0.0.11/24"]), iface("eth1", ["198.18.0.11/24"])]);
  speakers.set("node2", [iface("eth1", ["198.18.0.12/24"])]);
  await until("allocator at the head of the log", () => allocator.lines.some((l) => l["msg"] === "caught up with the log; allocating"));
  // A claim of a VIP not yet allocated is refused: the tests claim web's only once it holds it.
  const jsm = await jetstreamManager(nc);
  await until("web's IP allocated", () => jsm.streams.getMessage("EVENTS", { last_by_subj: "vipmesh.ev.ip.198_18_0_200.a" }).then((m) => m !== null, () => false));
  // The writers act as the speaker's service account: deploy/manifests/rbac.yaml must suffice.
  const kc = credentialsFromKubeconfig(serviceAccountKubeconfig(api.kubeconfig, api.dir, "vipmesh-speaker"));
  const log = pino({ level: "silent" });
  writers = ["node1", "node2"].map((node) => startNodeStatusWriter({ kc, nats, namespace: "metallb-system", node, log, retryMs: 500 }));
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(writers.map((w) => w.stop()));
  speakers?.stop();
  if (allocator) await stopAllocator(allocator);
  await nc?.close();
  await Promise.all([api?.stop(), nats?.stop()]);
});

type Status = { node?: string; serviceName?: string; serviceNamespace?: string; interfaces?: { name: string }[]; peers?: string[] };
type Item = { metadata: { name: string; labels: Record<string, string> }; status?: Status };
const list = async (plural: string): Promise<Item[]> => {
  const r = await api.kubectl(["get", plural, "-n", "metallb-system", "-o", "json"]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: Item[] }).items;
};
const l2Statuses = (): Promise<Item[]> => list("servicel2statuses");
const bgpStatuses = async (): Promise<Record<string, string[] | undefined>> =>
  Object.fromEntries((await list("servicebgpstatuses")).map((o) => [`${o.status?.node}:${o.status?.serviceNamespace}/${o.status?.serviceName}`, o.status?.peers]));

describe("ServiceL2Status", () => {
  it("one per announcing node and Service, naming the interface the node answers on", async () => {
    expect(await speakers.claim("198.18.0.200", "node1", 1)).toMatchObject({ ok: true });
    await until("node1's status with its interface", async () => (await l2Statuses()).some((o) => o.status?.interfaces !== undefined), 20_000, 200);
    const [first] = await l2Statuses();
    expect(first?.status).toEqual({ node: "node1", serviceName: "web", serviceNamespace: "default", interfaces: [{ name: "eth1" }] });
    expect(first?.metadata.labels).toEqual({ "metallb.io/node": "node1", "metallb.io/service-name": "web", "metallb.io/service-namespace": "default" });
  });

  it("follows the interface when the node's addresses move (from its heartbeats)", async () => {
    const [before] = await l2Statuses();
    speakers.set("node1", [iface("eth1", ["10.0.0.11/24"]), iface("eth2", ["198.18.0.11/24"])]);
    await until("interface eth2", async () => (await l2Statuses())[0]?.status?.interfaces?.[0]?.name === "eth2", 20_000, 200);
    const after = await l2Statuses();
    expect(after.map((o) => o.metadata.name)).toEqual([before?.metadata.name]);
  });

  it("moves with the VIP's owner: the old node deletes its own, the new one creates one", async () => {
    expect(await speakers.claim("198.18.0.200", "node2", 2)).toMatchObject({ ok: true });
    await until("moved to node2", async () => {
      const all = await l2Statuses();
      return all.length === 1 && all[0]?.status?.node === "node2" && all[0].status.interfaces?.[0]?.name === "eth1";
    }, 20_000, 200);
  });
});

describe("ServiceBGPStatus", () => {
  it("one per node and Service advertised over BGP, naming the BGPPeers (not for layer-2 Services)", async () => {
    await until("both nodes' BGP status", async () => Object.keys(await bgpStatuses()).length === 2, 20_000, 200);
    expect(await bgpStatuses()).toEqual({
      "node1:default/api": ["router-a", "router-b"],
      "node2:default/api": ["router-a", "router-b"],
    });
    const [one] = await list("servicebgpstatuses");
    expect(one?.metadata.name).toMatch(/^bgp-[0-9a-f]{20}$/);
    expect(one?.metadata.labels["metallb.io/service-name"]).toBe("api");
  });

  it("follows the configuration: an advertisement limited to one peer lists only that peer", async () => {
    writeFileSync(configFile, config(", peers: [router-b]"));
    await until("only router-b", async () => {
      const s = await bgpStatuses();
      return s["node1:default/api"]?.join() === "router-b" && s["node2:default/api"]?.join() === "router-b";
    }, 20_000, 200);
  });
});
