import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import type { BgpPeerConfig, ClusterConfig } from "../../src/config/types.js";
import { credentialsFromKubeconfig } from "../../src/kube/credentials.js";
import { KUBE_SOURCE } from "../../src/kube/ingest/guardedPublisher.js";
import { loggedSource } from "../support/loggedSource.js";
import { kubeRequest } from "../../src/kube/http.js";
import { readIpamStatus } from "../../src/cli/ipamStatusCommand.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { stopAllocator, until, type AllocatorProc } from "../support/allocatorProcs.js";
import { startController } from "../support/controllerProcs.js";
import { connectionSecurityOptions } from "../../src/adapters/nats/security.js";

// Two `vipmesh controller` processes (ingest + allocator + status writer) against a real kube-apiserver + etcd and a
// real nats-server: Services get IPs in their status, move as their annotations say, release on deletion; the two
// writers never flap or duplicate events; an invalid object is reported in ConfigurationState and an event and left
// out while the rest applies (its last good form keeps serving); BGPPeer Secrets and BFDProfiles are read; an API server restart (watches fail, relist) loses nothing.

const repo = fileURLToPath(new URL("../../", import.meta.url));
let api: KubeApiServer;
let nats: NatsServer;
let controllers: AllocatorProc[] = [];
let controllerKubeconfig = "";

const CONFIG = `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lab, namespace: metallb-system }
spec: { addresses: [198.18.0.200-198.18.0.210] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: lab, namespace: metallb-system }
`;

function serviceYaml(name: string, annotations: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default", annotations },
    spec: { type: "LoadBalancer", selector: { app: name }, ports: [{ port: 80, protocol: "TCP" }] },
  });
}

async function ok(args: string[], input?: string): Promise<string> {
  const r = await api.kubectl(args, input === undefined ? {} : { input });
  expect(r.code, `kubectl ${args.join(" ")}:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

type Svc = { metadata: { resourceVersion: string; annotations?: Record<string, string> }; status: { loadBalancer?: { ingress?: { ip: string }[] }; conditions?: { type: string; status: string; reason: string }[] } };
const getService = async (name: string): Promise<Svc> => JSON.parse(await ok(["get", "service", name, "-o", "json"])) as Svc;
const ingress = (s: Svc): string[] => (s.status.loadBalancer?.ingress ?? []).map((i) => i.ip);

async function configurationState(): Promise<{ result?: string; lastError?: string } | undefined> {
  const r = await api.kubectl(["get", "configurationstate", "controller", "-n", "metallb-system", "-o", "json"]);
  return r.code === 0 ? (JSON.parse(r.stdout) as { status?: { result?: string; lastError?: string } }).status : undefined;
}

async function loggedBgp(): Promise<NonNullable<ClusterConfig["bgp"]> | undefined> {
  const nc = await connect({ servers: nats.url, ...connectionSecurityOptions(nats.client()) });
  try {
    return (await loggedSource(nc, KUBE_SOURCE)).config?.bgp;
  } finally {
    await nc.close();
  }
}

async function loggedPeers(): Promise<BgpPeerConfig[]> {
  return (await loggedBgp())?.peers ?? [];
}

async function eventsFor(name: string, reason: string, namespace = "default"): Promise<number> {
  const list = JSON.parse(await ok(["get", "events", "-n", namespace, "--field-selector", `involvedObject.name=${name},reason=${reason}`, "-o", "json"])) as { items: unknown[] };
  return list.items.length;
}

async function waitForIps(name: string, ips: string[], timeoutMs = 20_000): Promise<Svc> {
  let last: Svc | null = null;
  await until(`${name} showing ${ips.join(",")}`, async () => {
    last = await getService(name);
    return JSON.stringify(ingress(last)) === JSON.stringify(ips);
  }, timeoutMs, 100);
  return last as unknown as Svc;
}

beforeAll(async () => {
  [api, nats] = await Promise.all([startKubeApiServer(), startNatsServer()]);
  await ok(["apply", "-f", join(repo, "deploy/manifests/00-namespace.yaml")]);
  await ok(["apply", "-f", join(repo, "deploy/manifests/rbac.yaml")]);
  await ok(["apply", "-f", "-"], CONFIG);
  // The controllers act as the controller's service account: deploy/manifests/rbac.yaml (and its admission policy) must suffice.
  const kubeconfig = (controllerKubeconfig = join(api.dir, "controller.kubeconfig"));
  writeFileSync(kubeconfig, readFileSync(api.kubeconfig, "utf8").replace("  user:\n", "  user:\n    as: system:serviceaccount:metallb-system:vipmesh-controller\n"));
  controllers = [startController(nats, kubeconfig, "c1"), startController(nats, kubeconfig, "c2")];
}, 120_000);

afterAll(async () => {
  await Promise.all(controllers.map((c) => stopAllocator(c, "SIGTERM")));
  if (process.env["VIPMESH_DUMP"]) writeFileSync(process.env["VIPMESH_DUMP"], controllers.map((c) => c.lines.map((l) => JSON.stringify(l)).join("\n")).join("\n----\n"));
  await Promise.all([api?.stop(), nats?.stop()]);
});

describe("vipmesh controller against kube-apiserver", () => {
  it("runs as the controller's service account (a Secret outside metallb-system is forbidden to it)", async () => {
    const kc = credentialsFromKubeconfig(controllerKubeconfig);
    await expect(kubeRequest(kc, { method: "GET", path: "/api/v1/namespaces/default/secrets" })).rejects.toMatchObject({ status: 403 });
  });

  it("gives a created Service an IP in its status, with the pool annotation, the condition and one event", async () => {
    await ok(["apply", "-f", "-"], serviceYaml("web"));
    const svc = await waitForIps("web", ["198.18.0.200"]);
    await until("pool annotation", async () => (await getService("web")).metadata.annotations?.["metallb.io/ip-allocated-from-pool"] === "lab");
    expect(svc.status.conditions).toContainEqual(expect.objectContaining({ type: "vipmesh.io/Announced", status: "True" }));
    await until("pool usage", async () => {
      const pool = JSON.parse(await ok(["get", "ipaddresspool", "lab", "-n", "metallb-system", "-o", "json"])) as { status?: { assignedIPv4?: number; availableIPv4?: number } };
      return pool.status?.assignedIPv4 === 1 && pool.status.availableIPv4 === 10;
    });
    expect(await eventsFor("web", "IPAllocated")).toBe(1);
  });

  it("two writers do not flap: the settled Service is not written again", async () => {
    const before = await getService("web");
    await new Promise((r) => setTimeout(r, 3_000));
    const after = await getService("web");
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(await eventsFor("web", "IPAllocated")).toBe(1);
  });

  it("moves a Service to the IP its annotation asks for; a legacy annotation works and gets a deprecation event", async () => {
    await ok(["annotate", "service", "web", "metallb.io/loadBalancerIPs=198.18.0.205"]);
    await waitForIps("web", ["198.18.0.205"]);
    await ok(["apply", "-f", "-"], serviceYaml("legacy", { "metallb.universe.tf/loadBalancerIPs": "198.18.0.207" }));
    await waitForIps("legacy", ["198.18.0.207"]);
    await until("deprecation event", async () => (await eventsFor("legacy", "DeprecatedAnnotation")) === 1);
    expect(await eventsFor("web", "IPAllocated")).toBe(2);
  });

  it("says why a Service is not announced", async () => {
    await ok(["apply", "-f", "-"], serviceYaml("outside", { "metallb.io/loadBalancerIPs": "203.0.113.9" }));
    await until("condition", async () => {
      const c = (await getService("outside")).status.conditions?.find((x) => x.type === "vipmesh.io/Announced");
      return c?.status === "False" && c.reason === "RequestedIPOutsidePools";
    });
    await ok(["delete", "service", "outside"]);
  });

  it("releases the IP of a deleted Service", async () => {
    await ok(["delete", "service", "legacy"]);
    await until("release on the log", async () => !(await readIpamStatus([nats.url], null, undefined, nats.client())).services.some((s) => s.service === "default/legacy"));
    await ok(["apply", "-f", "-"], serviceYaml("reuse", { "metallb.io/loadBalancerIPs": "198.18.0.207" }));
    await waitForIps("reuse", ["198.18.0.207"]);
  });

  it("ignores only the offending object of an invalid configuration, reports it, and the rest keeps changing", async () => {
    const overlap = `apiVersion: metallb.io/v1beta1\nkind: IPAddressPool\nmetadata: { name: clash, namespace: metallb-system }\nspec: { addresses: [198.18.0.208/29] }\n`;
    await ok(["apply", "-f", "-"], overlap);
    await until("Invalid state naming the pool", async () => {
      const s = await configurationState();
      // The overlap is reported on whichever pool sorts later; the pool that changed is the one ignored.
      return s?.result === "Invalid" && /IPAddressPool\/(clash|lab): spec\.addresses\[0\]: .*overlaps .*IPAddressPool\/(lab|clash)/.test(s.lastError ?? "") && /ignored.*: IPAddressPool\/metallb-system\/clash\)/.test(s.lastError ?? "");
    });
    await until("a warning event on the pool", async () => (await eventsFor("clash", "InvalidConfiguration", "metallb-system")) === 1);
    // The rest of the configuration still applies: a new Service gets an address while the bad pool exists.
    await ok(["apply", "-f", "-"], serviceYaml("while-invalid"));
    await waitForIps("while-invalid", ["198.18.0.200"]);
    // A bad edit to a Service is ignored too: it keeps its address instead of losing it.
    await ok(["annotate", "--overwrite", "service", "web", "metallb.io/loadBalancerIPs=198.18.0.bogus"]);
    await until("the bad Service reported", async () => /Service\/default\/web: .*loadBalancerIPs/.test((await configurationState())?.lastError ?? ""));
    await new Promise((r) => setTimeout(r, 1_500));
    expect(ingress(await getService("web"))).toEqual(["198.18.0.205"]);
    await ok(["annotate", "--overwrite", "service", "web", "metallb.io/loadBalancerIPs=198.18.0.205"]);
    await ok(["delete", "ipaddresspool", "clash", "-n", "metallb-system"]);
    await until("Valid state", async () => (await configurationState())?.result === "Valid");
    expect(ingress(await getService("web"))).toEqual(["198.18.0.205"]);
  });

  it("logs what vipmesh validate warns about (an advertisement naming a missing pool) and still applies it", async () => {
    await ok(["apply", "-f", "-"], "apiVersion: metallb.io/v1beta1\nkind: L2Advertisement\nmetadata: { name: lost, namespace: metallb-system }\nspec: { ipAddressPools: [nowhere] }\n");
    const warned = (l: Record<string, unknown>): boolean =>
      l["msg"] === "Kubernetes configuration applies with warnings" && JSON.stringify(l["warnings"]).includes('L2Advertisement/lost: spec.ipAddressPools[0]: no IPAddressPool \\"nowhere\\"');
    await until("the warning logged", () => controllers.some((c) => c.lines.some(warned)));
    expect((await configurationState())?.result).toBe("Valid");
    await ok(["delete", "l2advertisement", "lost", "-n", "metallb-system"]);
  });

  it("resolves a BGPPeer's passwordSecret and checks its BFDProfile; a peer naming a missing profile is left out", async () => {
    const peers = `
apiVersion: v1
kind: Secret
metadata: { name: peer-pw, namespace: metallb-system }
type: kubernetes.io/basic-auth
stringData: { password: s3cret-md5 }
---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: { name: fast, namespace: metallb-system }
spec: { receiveInterval: 100, transmitInterval: 100 }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: 64500, peerASN: 64501, peerAddress: 198.18.9.1, passwordSecret: { name: peer-pw }, bfdProfile: fast }
`;
    await ok(["apply", "-f", "-"], peers);
    // The log holds where the password is and its hash, never the value.
    const sha256 = createHash("sha256").update("s3cret-md5").digest("hex");
    await until("the peer with its password reference on the log", async () => (await loggedPeers()).find((p) => p.name === "router")?.password?.sha256 === sha256);
    expect((await loggedPeers()).find((p) => p.name === "router")?.password).toEqual({ from: "secret", namespace: "metallb-system", name: "peer-pw", key: "password", sha256 });
    // The profile the peer names travels with it (ConfigApplied v5), with the fields the object sets.
    const bgp = await loggedBgp();
    expect(bgp?.peers.find((p) => p.name === "router")?.bfdProfile).toBe("fast");
    expect(bgp?.bfdProfiles).toEqual([{ name: "fast", receiveInterval: 100, transmitInterval: 100, echoMode: false, passiveMode: false }]);
    const missing = `apiVersion: metallb.io/v1beta2\nkind: BGPPeer\nmetadata: { name: router2, namespace: metallb-system }\nspec: { myASN: 64500, peerASN: 64502, peerAddress: 198.18.9.2, bfdProfile: nope }\n`;
    await ok(["apply", "-f", "-"], missing);
    await until("the missing profile reported", async () => (await configurationState())?.lastError?.includes(`BGPPeer/router2: spec.bfdProfile: no BFDProfile "nope"`) === true);
    expect((await loggedPeers()).map((p) => p.name)).toEqual(["router"]);
    await ok(["delete", "bgppeer", "router", "router2", "-n", "metallb-system"]);
    await until("Valid state", async () => (await configurationState())?.result === "Valid").catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify(await configurationState())}`);
    });
  });

  it("resyncs after the API server goes away and comes back, losing no change", async () => {
    await api.stopApiServer();
    await new Promise((r) => setTimeout(r, 2_000));
    await api.startApiServer();
    await ok(["apply", "-f", "-"], serviceYaml("after-outage"));
    await ok(["annotate", "service", "after-outage", "metallb.io/loadBalancerIPs=198.18.0.209"]);
    await waitForIps("after-outage", ["198.18.0.209"], 30_000);
    expect(ingress(await getService("web"))).toEqual(["198.18.0.205"]);
  });
});
