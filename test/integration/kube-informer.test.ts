import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsFromKubeconfig } from "../../src/kube/credentials.js";
import { Informer } from "../../src/kube/informer.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { until } from "../support/allocatorProcs.js";

// The informer against a real kube-apiserver: changes arrive in order and none is lost, also across a watch that
// the server ends with 410 Gone (resourceVersion too old) and across an API server restart (relist).

let api: KubeApiServer;
const log = pino({ level: "silent" });

beforeAll(async () => {
  // etcd history is compacted every 2 s and watches go to etcd (no watch cache, which would replay old history as
  // ADDED events), so an old resourceVersion is soon 410 Gone, as on a busy cluster.
  api = await startKubeApiServer({ crdDir: null, apiServerArgs: ["--etcd-compaction-interval=2s", "--watch-cache=false"] });
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

type Cm = { data?: { v?: string } };

async function kubectl(args: string[]): Promise<void> {
  const r = await api.kubectl(args);
  expect(r.code, r.stderr).toBe(0);
}

describe("informer (list + watch) against kube-apiserver", () => {
  it("sees every change in order, across 410 Gone and an API server restart", async () => {
    const seen: string[] = [];
    const stop = new AbortController();
    const ref = { kind: "ConfigMap", apiVersion: "v1", path: "/api/v1/namespaces/default/configmaps" };
    const informer: Informer = new Informer(ref, credentialsFromKubeconfig(api.kubeconfig), () => {
      const v = (informer.store.get("default/counter") as Cm | undefined)?.data?.v;
      if (v !== undefined && seen.at(-1) !== v) seen.push(v);
    }, log);
    const running = informer.run(stop.signal);
    await until("first list", () => informer.synced);
    await kubectl(["create", "configmap", "counter", "--from-literal=v=0"]);
    for (let i = 1; i <= 5; i++) await kubectl(["patch", "configmap", "counter", "-p", JSON.stringify({ data: { v: String(i) } })]);
    await until("v=5", () => seen.at(-1) === "5");

    // A watch resumed from a resourceVersion the server no longer has: 410 Gone, relist, nothing lost.
    const relists = informer.relists;
    await new Promise((r) => setTimeout(r, 4_500)); // two compactions
    informer.resumeFrom(2n);
    await kubectl(["patch", "configmap", "counter", "-p", JSON.stringify({ data: { v: "6" } })]);
    await until("relist after 410", () => informer.relists > relists);
    await until("v=6", () => seen.at(-1) === "6");

    // The API server away and back: the watch fails, the informer relists, later changes arrive.
    await api.stopApiServer();
    await api.startApiServer();
    for (let i = 7; i <= 9; i++) await kubectl(["patch", "configmap", "counter", "-p", JSON.stringify({ data: { v: String(i) } })]);
    await until("v=9", () => seen.at(-1) === "9", 30_000);

    // Observations never go back: each value seen is newer than the one before.
    expect(seen.map(Number)).toEqual([...seen.map(Number)].sort((a, b) => a - b));
    expect(seen.at(-1)).toBe("9");
    stop.abort();
    await running;
  });

  it("lists in pages of the given size and gets every object", async () => {
    const names = Array.from({ length: 23 }, (_, i) => `paged-${String(i).padStart(2, "0")}`);
    const items = names.map((name) => ({ apiVersion: "v1", kind: "Secret", metadata: { name, namespace: "default" }, stringData: { k: name } }));
    const r = await api.kubectl(["apply", "-f", "-"], { input: JSON.stringify({ apiVersion: "v1", kind: "List", items }) });
    expect(r.code, r.stderr).toBe(0);
    const stop = new AbortController();
    const ref = { kind: "Secret", apiVersion: "v1", path: "/api/v1/namespaces/default/secrets" };
    const informer = new Informer(ref, credentialsFromKubeconfig(api.kubeconfig), () => undefined, log, 5);
    const running = informer.run(stop.signal);
    await until("first list", () => informer.synced);
    expect([...informer.store.keys()].filter((k) => k.startsWith("default/paged-")).sort()).toEqual(names.map((n) => `default/${n}`));
    expect(informer.pages).toBeGreaterThanOrEqual(5); // 23 objects at 5 per page
    stop.abort();
    await running;
  });

  it("stops when aborted while a list is finishing, instead of starting a watch that outlives the abort", async () => {
    const stop = new AbortController();
    const ref = { kind: "ConfigMap", apiVersion: "v1", path: "/api/v1/namespaces/default/configmaps" };
    // The abort lands as the list completes (onChange runs at its end), before the watch would start.
    const informer = new Informer(ref, credentialsFromKubeconfig(api.kubeconfig), () => stop.abort(), log);
    const running = informer.run(stop.signal);
    // The watch asks the server for 30 s; an informer that ends at all well before that has stopped on the abort.
    const ended = await Promise.race([running.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    expect(informer.synced).toBe(true);
    expect(ended).toBe(true);
  });
});
