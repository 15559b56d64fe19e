import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { DEFAULT_STREAM_SETTINGS } from "../../src/adapters/nats/streams.js";
import { kubePasswordReader } from "../../src/agents/speaker/kubePasswordReader.js";
import { runSpeaker } from "../../src/agents/speaker/speaker.js";
import type { BgpPasswordRef } from "../../src/config/types.js";
import { credentialsFromKubeconfig } from "../../src/kube/credentials.js";
import { KUBE_SOURCE } from "../../src/kube/ingest/guardedPublisher.js";
import { loggedSource } from "../support/loggedSource.js";
import { DEFAULT_RELEASE_GUARD } from "../../src/projections/ipam/releaseGuard.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { DEFAULT_FENCE_SETTINGS } from "../../src/protocols/fence/fenceMachine.js";
import { parseProbeKeys } from "../../src/protocols/fence/probeKeys.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { stopAllocator, until, type AllocatorProc } from "../support/allocatorProcs.js";
import { serviceAccountKubeconfig, startController } from "../support/controllerProcs.js";
import { memoryLogger } from "../support/memoryLog.js";
import { secretsOnLog, streamText } from "../../src/testing/logGrep.js";
import { RecordingAnnouncer } from "../support/recordingAnnouncer.js";

// No BGP password on the log or in a snapshot (real kube-apiserver + etcd, real nats-server, a `vipmesh controller`
// and a speaker): the BGPPeer's passwordSecret reaches EVENTS as a reference and a SHA-256 only; after the Secret is
// rotated the new hash is on the log, and neither value is anywhere in EVENTS, HEARTBEATS or the snapshot bucket. The
// speaker's service account reads the value itself, by name, and only in metallb-system.

const repo = fileURLToPath(new URL("../../", import.meta.url));
const OLD = "md5-old-Qx7-secret";
const NEW = "md5-new-Zr4-secret";
const sha = (v: string): string => createHash("sha256").update(v).digest("hex");
const secret = (value: string): string => `apiVersion: v1
kind: Secret
metadata: { name: router-md5, namespace: metallb-system }
type: kubernetes.io/basic-auth
stringData: { password: "${value}" }
`;
const CONFIG = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bgp, namespace: metallb-system }
spec: { addresses: ["198.18.100.0/24"] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: 64512, peerASN: 64512, peerAddress: "198.18.0.1", passwordSecret: { name: router-md5, namespace: metallb-system } }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: bgp, namespace: metallb-system }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec: { type: LoadBalancer, ports: [{ port: 80, protocol: TCP }] }
`;

let api: KubeApiServer;
let nats: NatsServer;
let nc: NatsConnection;
let controller: AllocatorProc;

async function ok(args: string[], input?: string): Promise<string> {
  const r = await api.kubectl(args, input === undefined ? {} : { input });
  expect(r.code, `kubectl ${args.join(" ")}:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  [api, nats] = await Promise.all([startKubeApiServer(), startNatsServer()]);
  await ok(["apply", "-f", join(repo, "deploy/manifests/00-namespace.yaml")]);
  await ok(["apply", "-f", join(repo, "deploy/manifests/rbac.yaml")]);
  const kubeconfig = join(api.dir, "controller.kubeconfig");
  writeFileSync(kubeconfig, readFileSync(api.kubeconfig, "utf8").replace("  user:\n", "  user:\n    as: system:serviceaccount:metallb-system:vipmesh-controller\n"));
  controller = startController(nats, kubeconfig, "c1");
  nc = await connectNats({ servers: [nats.url], security: nats.client("admin"), name: "grep", pingIntervalMs: 2_000 });
}, 120_000);

afterAll(async () => {
  await nc?.close();
  if (controller) await stopAllocator(controller, "SIGTERM");
  await Promise.all([api?.stop(), nats?.stop()]);
});

async function loggedRef(): Promise<BgpPasswordRef | null | undefined> {
  return (await loggedSource(nc, KUBE_SOURCE)).config?.bgp?.peers.find((p) => p.name === "router")?.password;
}

describe("BGPPeer passwords are never on the log", () => {
  it("after a rotation of the Secret the log carries the new hash, and no value is in EVENTS, HEARTBEATS or the snapshot bucket", async () => {
    await ok(["apply", "-f", "-"], `${secret(OLD)}---\n${CONFIG}`);
    await until("the peer's reference with the first hash on the log", async () => (await loggedRef())?.sha256 === sha(OLD), 120_000);
    expect(await loggedRef()).toEqual({ from: "secret", namespace: "metallb-system", name: "router-md5", key: "password", sha256: sha(OLD) });

    // A speaker beats and stores a snapshot of the projection, which holds the configuration.
    const announcer = new RecordingAnnouncer();
    const stop = new AbortController();
    const speakerLog = memoryLogger();
    const speaker = runSpeaker({
      node: "node1", natsServers: [nats.url], natsSecurity: nats.client(), configSource: null, membership: DEFAULT_MEMBERSHIP_SETTINGS, streams: DEFAULT_STREAM_SETTINGS,
      excludeInterfaces: [], version: "test", handoverTimeoutMs: 200, snapshotEveryEvents: 1, configPollMs: 1_000, releaseGuard: DEFAULT_RELEASE_GUARD,
      fence: DEFAULT_FENCE_SETTINGS, probePort: 0, probeKeys: () => parseProbeKeys(`1 ${Buffer.alloc(32, 3).toString("base64")}`, "test"), onSigterm: "restart",
      restartGraceMs: 10_000, announcer, log: speakerLog.log,
    }, stop.signal);

    await ok(["apply", "-f", "-"], secret(NEW));
    await until("the rotated hash on the log", async () => (await loggedRef())?.sha256 === sha(NEW), 120_000);
    await new Promise((r) => setTimeout(r, 1_500)); // beats and snapshots after the rotation
    stop.abort();
    await speaker;
    await stopAllocator(controller, "SIGTERM"); // the controller's allocator stores its snapshot on the way out

    const { found, counts } = await secretsOnLog(nc, [OLD, NEW]);
    expect(counts["EVENTS"]).toBeGreaterThan(2);
    expect(counts["HEARTBEATS"]).toBeGreaterThan(0);
    expect(counts["KV_vipmesh_snapshots"]).toBeGreaterThan(0);
    // The snapshot holds the configuration after the rotation: the grep looks where the value would be.
    expect((await streamText(nc, "KV_vipmesh_snapshots")).text).toContain(sha(NEW));
    expect(found).toEqual([]);
    for (const line of speakerLog.lines()) for (const value of [OLD, NEW]) expect(JSON.stringify(line)).not.toContain(value);
  }, 180_000);

  it("the speaker's service account reads the value itself, by name, in metallb-system only", async () => {
    const kc = credentialsFromKubeconfig(serviceAccountKubeconfig(api.kubeconfig, api.dir, "vipmesh-speaker"));
    const reader = kubePasswordReader(kc, "metallb-system");
    expect(await reader.read({ from: "secret", namespace: "metallb-system", name: "router-md5", key: "password", sha256: sha(NEW) })).toEqual({ value: NEW });
    expect(await reader.read({ from: "peer", namespace: null, name: "router", sha256: sha(NEW) })).toEqual({ value: NEW });
    await ok(["create", "secret", "generic", "elsewhere", "-n", "default", "--from-literal=password=nope"]);
    await expect(reader.read({ from: "secret", namespace: "default", name: "elsewhere", key: "password", sha256: sha("nope") })).rejects.toThrow(/403/);
  }, 60_000);
});
