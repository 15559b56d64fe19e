import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { credentialsFromKubeconfig } from "../../src/kube/credentials.js";
import { startNodeStatusWriter, type RunningWriter } from "../support/nodeStatusWriters.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { stopAllocator, until, type AllocatorProc } from "../support/allocatorProcs.js";
import { FakeSpeakers, iface, serviceAccountKubeconfig, startController } from "../support/controllerProcs.js";

// Two `vipmesh controller` processes (as the controller's service account) against kube-apiserver and nats-server,
// with the speakers' status writers (as the speaker's service account) for two nodes whose heartbeats and claims are
// published by hand:
// - a Service whose VIP no running node has an interface for gets Announced=False, NoInterfaceInSubnet, naming the
//   subnet, until a node's heartbeat brings one;
// - deleting the Node of a running speaker deletes nothing (it would recreate its objects: no fight);
// - deleting the Node of a speaker that is gone deletes its ServiceL2Status and ServiceBGPStatus objects.

const repo = fileURLToPath(new URL("../../", import.meta.url));
let api: KubeApiServer;
let nats: NatsServer;
let nc: NatsConnection;
let speakers: FakeSpeakers;
let controllers: AllocatorProc[] = [];
const writers = new Map<string, RunningWriter>();

const CONFIG = `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lab, namespace: metallb-system }
spec: { addresses: [198.18.0.200/30] }
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: remote, namespace: metallb-system }
spec: { addresses: [198.18.77.0/24], avoidBuggyIPs: true }
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bgp, namespace: metallb-system }
spec: { addresses: [198.18.9.0/30] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: lab, namespace: metallb-system }
spec: { ipAddressPools: [lab, remote] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router-a, namespace: metallb-system }
spec: { myASN: 64512, peerASN: 64500, peerAddress: 198.18.2.1 }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: bgp, namespace: metallb-system }
spec: { ipAddressPools: [bgp] }
`;

const service = (name: string, pool: string): string =>
  JSON.stringify({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default", annotations: { "metallb.io/address-pool": pool } },
    spec: { type: "LoadBalancer", selector: { app: name }, ports: [{ port: 80, protocol: "TCP" }] },
  });
const node = (name: string): string => JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name } });

async function ok(args: string[], input?: string): Promise<string> {
  const r = await api.kubectl(args, input === undefined ? {} : { input });
  expect(r.code, `kubectl ${args.join(" ")}:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

type Condition = { type: string; status: string; reason: string; message: string };
type Svc = { status: { loadBalancer?: { ingress?: { ip: string }[] }; conditions?: Condition[] } };
const getService = async (name: string): Promise<Svc> => JSON.parse(await ok(["get", "service", name, "-o", "json"])) as Svc;
const announced = async (name: string): Promise<Condition | undefined> => (await getService(name)).status.conditions?.find((c) => c.type === "vipmesh.io/Announced");
const ipOf = async (name: string): Promise<string> => (await getService(name)).status.loadBalancer?.ingress?.[0]?.ip ?? "";

type Item = { metadata: { name: string; uid: string }; status?: { node?: string; serviceName?: string } };
async function statusObjects(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const plural of ["servicel2statuses", "servicebgpstatuses"]) {
    for (const o of (JSON.parse(await ok(["get", plural, "-n", "metallb-system", "-o", "json"])) as { items: Item[] }).items) {
      out[`${plural === "servicel2statuses" ? "l2" : "bgp"}:${o.status?.node ?? "?"}:${o.status?.serviceName ?? "?"}`] = o.metadata.uid;
    }
  }
  return out;
}

function startWriter(name: string): void {
  const kc = credentialsFromKubeconfig(serviceAccountKubeconfig(api.kubeconfig, api.dir, "vipmesh-speaker"));
  writers.set(name, startNodeStatusWriter({ kc, nats, namespace: "metallb-system", node: name, log: pino({ level: "silent" }), retryMs: 500 }));
}

async function stopWriter(name: string): Promise<void> {
  await writers.get(name)?.stop();
  writers.delete(name);
}

beforeAll(async () => {
  [api, nats] = await Promise.all([startKubeApiServer(), startNatsServer()]);
  await ok(["apply", "-f", join(repo, "deploy/manifests/00-namespace.yaml")]);
  await ok(["apply", "-f", join(repo, "deploy/manifests/rbac.yaml")]);
  await ok(["apply", "-f", "-"], CONFIG);
  for (const n of ["node1", "node2"]) await ok(["create", "-f", "-"], node(n));
  nc = await connectNats({ servers: [nats.url], security: nats.client(), name: "status-cleanup-test", pingIntervalMs: 2_000 });
  speakers = new FakeSpeakers(nc);
  speakers.set("node1", [iface("eth1", ["198.18.0.11/24"])]);
  speakers.set("node2", [iface("eth1", ["198.18.0.12/24"])]);
  const kubeconfig = serviceAccountKubeconfig(api.kubeconfig, api.dir, "vipmesh-controller");
  controllers = [startController(nats, kubeconfig, "c1"), startController(nats, kubeconfig, "c2")];
  startWriter("node1");
  startWriter("node2");
}, 120_000);

afterAll(async () => {
  await Promise.all([...writers.keys()].map(stopWriter));
  speakers?.stop();
  await Promise.all(controllers.map((c) => stopAllocator(c, "SIGTERM")));
  await nc?.close();
  await Promise.all([api?.stop(), nats?.stop()]);
});

describe("Service condition NoInterfaceInSubnet", () => {
  it("says no eligible node has an interface in the VIP's subnet, naming it, until a node has one", async () => {
    await ok(["apply", "-f", "-"], service("far", "remote"));
    await until("NoInterfaceInSubnet", async () => (await announced("far"))?.reason === "NoInterfaceInSubnet", 30_000, 200);
    const c = await announced("far");
    expect(c?.status).toBe("False");
    expect(c?.message).toContain("198.18.77.0/24");
    expect(c?.message).toContain(`the subnet of ${await ipOf("far")}`);
    expect(c?.message).toContain("checked node1, node2");
    speakers.set("node1", [iface("eth1", ["198.18.0.11/24"]), iface("eth2", ["198.18.77.5/24"])]);
    await until("announced", async () => (await announced("far"))?.status === "True", 30_000, 200);
    const events = JSON.parse(await ok(["get", "events", "-n", "default", "--field-selector", "involvedObject.name=far,reason=NoInterfaceInSubnet", "-o", "json"])) as { items: unknown[] };
    expect(events.items.length).toBe(1);
  });
});

describe("stale ServiceL2Status / ServiceBGPStatus", () => {
  it("speakers keep one per node and Service", async () => {
    await ok(["apply", "-f", "-"], service("web", "lab"));
    await ok(["apply", "-f", "-"], service("web2", "lab"));
    await ok(["apply", "-f", "-"], service("api", "bgp"));
    await until("IPs", async () => (await ipOf("web")) !== "" && (await ipOf("web2")) !== "" && (await ipOf("api")) !== "", 30_000, 200);
    expect(await speakers.claim(await ipOf("web"), "node1", 1)).toMatchObject({ ok: true });
    expect(await speakers.claim(await ipOf("web2"), "node2", 1)).toMatchObject({ ok: true });
    await until("four status objects", async () => Object.keys(await statusObjects()).length === 4, 30_000, 200);
    expect(Object.keys(await statusObjects()).sort()).toEqual(["bgp:node1:api", "bgp:node2:api", "l2:node1:web", "l2:node2:web2"]);
  });

  it("deleting the Node of a running speaker deletes nothing: it would recreate them", async () => {
    const before = await statusObjects();
    await ok(["delete", "node", "node1"]);
    await new Promise((r) => setTimeout(r, 4_000)); // several reconciles of both controllers and the speaker writers
    expect(await statusObjects()).toEqual(before); // same objects, same uids: nothing deleted and recreated
    await ok(["create", "-f", "-"], node("node1"));
  });

  it("a speaker gone without leaving keeps its objects while its Node exists; deleting the Node deletes them", async () => {
    await stopWriter("node2");
    speakers.silence("node2"); // node2 is dead to everyone now that node1's heartbeats move log time on
    await new Promise((r) => setTimeout(r, 3_000));
    expect(Object.keys(await statusObjects()).sort()).toEqual(["bgp:node1:api", "bgp:node2:api", "l2:node1:web", "l2:node2:web2"]);
    await ok(["delete", "node", "node2"]);
    await until("node2's objects deleted", async () => Object.keys(await statusObjects()).length === 2, 20_000, 200);
    expect(Object.keys(await statusObjects()).sort()).toEqual(["bgp:node1:api", "l2:node1:web"]);
    const deleted = controllers.flatMap((c) => c.lines.filter((l) => l["msg"] === "deleted a stale status object"));
    expect(deleted.map((l) => `${String(l["kind"])}:${String(l["node"])}:${String(l["why"])}`).sort()).toEqual(["ServiceBGPStatus:node2:node-gone", "ServiceL2Status:node2:node-gone"]);
  });
});
