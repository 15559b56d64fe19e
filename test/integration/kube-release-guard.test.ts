import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { DEFAULT_STREAM_SETTINGS, ensureStreams } from "../../src/adapters/nats/streams.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { KUBE_SOURCE } from "../../src/kube/ingest/guardedPublisher.js";
import { loggedSource } from "../support/loggedSource.js";
import { LogReplayer } from "../../src/projections/batch.js";
import { allocationsByService } from "../../src/projections/ipam/state.js";
import { emptyLogState } from "../../src/projections/logState.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { has, stopAllocator, until, type AllocatorProc } from "../support/allocatorProcs.js";
import { startController, startControllerWith } from "../support/controllerProcs.js";
import { connectionSecurityOptions } from "../../src/adapters/nats/security.js";

// The guard on configuration changes in the Kubernetes ingest (issue 10, item 2), against a real kube-apiserver +
// etcd and a real nats-server, with `vipmesh controller` processes: deleting most Services at once is held and
// reported, nothing is released; a controller run with --max-release-share 100 applies it.

const repo = fileURLToPath(new URL("../../", import.meta.url));
const HELD = "Kubernetes configuration change held: it would release more allocations than --max-release-share allows; nothing released (run one controller with --max-release-share 100 to apply it)";
const NAMES = ["a", "b", "c", "d"];
let api: KubeApiServer;
let nats: NatsServer;
let nc: NatsConnection;
let controllers: AllocatorProc[] = [];

const POOL = `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: guard, namespace: metallb-system }
spec: { addresses: [198.18.44.0/28] }
`;
const serviceJson = (name: string): string =>
  JSON.stringify({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default" }, spec: { type: "LoadBalancer", selector: { app: name }, ports: [{ port: 80, protocol: "TCP" }] } });

async function ok(args: string[], input?: string): Promise<void> {
  const r = await api.kubectl(args, input === undefined ? {} : { input });
  expect(r.code, `kubectl ${args.join(" ")}:\n${r.stderr}`).toBe(0);
}

async function allocated(): Promise<string[]> {
  const replayer = new LogReplayer(emptyLogState());
  await readWholeStream(nc, "EVENTS", (batch) => replayer.apply(decodeLogEntries(batch, () => undefined)));
  return Object.keys(allocationsByService(replayer.result().ipam));
}

beforeAll(async () => {
  [api, nats] = await Promise.all([startKubeApiServer(), startNatsServer()]);
  nc = await connect({ servers: nats.url, ...connectionSecurityOptions(nats.client()) });
  await ensureStreams(await jetstreamManager(nc), DEFAULT_STREAM_SETTINGS);
  await ok(["apply", "-f", join(repo, "deploy/manifests/00-namespace.yaml")]);
  await ok(["apply", "-f", join(repo, "deploy/manifests/rbac.yaml")]);
  await ok(["apply", "-f", "-"], POOL);
  controllers = [startController(nats, api.kubeconfig, "g1"), startController(nats, api.kubeconfig, "g2")];
}, 120_000);

afterAll(async () => {
  await Promise.all(controllers.map((c) => stopAllocator(c, "SIGKILL")));
  await nc?.close();
  await Promise.all([api?.stop(), nats?.stop()]);
});

describe("the release guard of the Kubernetes ingest", () => {
  it("holds a view without 3 of 4 Services (reported with the Services), releases nothing; --max-release-share 100 applies it", async () => {
    for (const name of NAMES) await ok(["apply", "-f", "-"], serviceJson(name));
    await until("4 Services allocated", async () => (await allocated()).length === 4, 30_000, 200);

    // Deletions one at a time are ordinary changes; the guard is for one view that lost most Services at once (a
    // controller that comes back after a mass deletion, a relist that returned too little).
    await Promise.all(controllers.map((c) => stopAllocator(c, "SIGTERM")));
    await ok(["delete", "service", "b", "c", "d"]);
    controllers = [startController(nats, api.kubeconfig, "g3")];
    await until("the change held", () => controllers.some((c) => has(c, HELD)), 30_000, 100);
    const report = controllers.flatMap((c) => c.lines).find((l) => l["msg"] === HELD);
    expect(report).toMatchObject({ releases: 3, allocations: 4, maxSharePercent: 50, services: ["default/b", "default/c", "default/d"] });
    await new Promise((r) => setTimeout(r, 3_000)); // a recheck or two (every 2 s)
    expect(await allocated()).toEqual(NAMES.map((n) => `default/${n}`));
    expect((await loggedSource(nc, KUBE_SOURCE)).config?.services.map((s) => s.name).sort()).toEqual(NAMES);

    controllers.push(startControllerWith(nats, api.kubeconfig, "forced", ["--max-release-share", "100"]));
    await until("3 Services released", async () => (await allocated()).length === 1, 30_000, 200);
    expect(await allocated()).toEqual(["default/a"]);
  });
});
