import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { publishEvent } from "../../src/adapters/nats/publish.js";
import { DEFAULT_STREAM_SETTINGS, ensureStreams } from "../../src/adapters/nats/streams.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import type { ClusterConfig, ServiceConfig } from "../../src/config/types.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { subjects } from "../../src/events/subjects.js";
import { LogReplayer } from "../../src/projections/batch.js";
import { ipamStatus } from "../../src/projections/ipam/status.js";
import { heldServices, ipRecords, serviceIps } from "../../src/projections/ipam/state.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatIpamStatus, readIpamStatus } from "../../src/cli/ipamStatusCommand.js";
import { count, has, startAllocator, stopAllocator, until, type AllocatorProc } from "../support/allocatorProcs.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";
import { allocationsOf, MemoryLog, Replica } from "../support/ipamLog.js";

// Against a real nats-server on loopback, with real allocator processes (the compiled CLI: npm run build first).

const CAUGHT_UP = "caught up with the log; allocating";
let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;
let procs: AllocatorProc[] = [];
let configs = 0;

async function connectTo(s: NatsServer): Promise<void> {
  nc = await connectNats({ servers: [s.url], security: s.client(), name: "ipam-test", pingIntervalMs: 2_000 });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, DEFAULT_STREAM_SETTINGS);
}

beforeAll(async () => {
  server = await startNatsServer();
  await connectTo(server);
});

afterEach(async () => {
  await Promise.all(procs.map((p) => stopAllocator(p, "SIGKILL")));
  procs = [];
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

async function startAll(n: number, tag: string): Promise<AllocatorProc[]> {
  const started = Array.from({ length: n }, (_, i) => startAllocator(server, `${tag}${i}`));
  procs.push(...started);
  await until(`${n} allocators at the head of the log`, () => started.every((p) => has(p, CAUGHT_UP)));
  return started;
}

async function stopAll(list: AllocatorProc[]): Promise<void> {
  await Promise.all(list.map((p) => stopAllocator(p)));
  procs = procs.filter((p) => !list.includes(p));
}

async function publishConfig(config: ClusterConfig): Promise<void> {
  configs++;
  const r = await publishEvent(js, subjects.config("test"), { type: "ConfigApplied", data: { source: "test", hash: `test-${configs}-${Date.now()}`, config } });
  if (!r.ok) throw new Error(r.error);
}

async function readState(): Promise<LogState> {
  const replayer = new LogReplayer(emptyLogState());
  await readWholeStream(nc, "EVENTS", (batch) => replayer.apply(decodeLogEntries(batch, () => undefined)));
  return replayer.result();
}

const lastSeq = async (): Promise<number> => (await jsm.streams.info("EVENTS")).state.last_seq;
const allocatedCount = (s: LogState): number => [...heldServices(s.ipam)].length;

/** What one allocator alone, without races, gives the same configuration. */
function expectedFor(config: ClusterConfig): Record<string, string[]> {
  const log = new MemoryLog();
  const replica = new Replica(log, "expected");
  log.applyConfig(config);
  replica.converge();
  return allocationsOf(replica.state);
}

function manyServices(n: number, prefix = "svc"): ServiceConfig[] {
  return Array.from({ length: n }, (_, i) => service(`ns${i % 7}/${prefix}${String(i).padStart(4, "0")}`));
}

describe("allocator processes against a real nats-server", () => {
  it("3 allocators and 500 Services created at once: 500 distinct IPs; one killed mid-run, the rest finish; a restart moves nothing; a lost log is rebuilt from status", async () => {
    const config = clusterConfig({ pools: [pool("big", ["198.18.8.0/22"]), pool("v6", ["2001:db8:8::/64"])], services: manyServices(500) });
    const replicas = await startAll(3, "a");
    await publishConfig(config);
    await until("the first claims to land", () => replicas.reduce((n, p) => n + count(p, "claimed IP"), 0) >= 25, 30_000, 5);
    // The victim is one that is allocating: on a busy machine one replica may win every race, and killing an idle
    // one shows nothing.
    const victim = [...replicas].sort((a, b) => count(b, "claimed IP") - count(a, "claimed IP"))[0] as AllocatorProc;
    await stopAllocator(victim, "SIGKILL");
    const survivors = replicas.filter((p) => p !== victim);
    const survivorsAtKill = survivors.reduce((n, p) => n + count(p, "claimed IP"), 0);
    const killedAfter = replicas.reduce((n, p) => n + count(p, "claimed IP"), 0);
    let state = await readState();
    await until("500 Services allocated", async () => allocatedCount((state = await readState())) === 500, 45_000, 250);
    expect(killedAfter).toBeLessThan(500);
    const ips = [...heldServices(state.ipam)].flatMap(([, list]) => list);
    expect(ips).toHaveLength(500);
    expect(new Set(ips).size).toBe(500);
    expect([...ipRecords(state.ipam)].every(([, r]) => r.holders.length <= 1)).toBe(true);
    // Racing replicas end where one allocator alone would: Services in key order, addresses ascending.
    expect(allocationsOf(state)).toEqual(expectedFor(config));
    expect(count(victim, "claimed IP")).toBeGreaterThan(0);
    // The rest finished what the killed replica left: their claims went on after it died.
    expect(survivors.reduce((n, p) => n + count(p, "claimed IP"), 0)).toBeGreaterThan(survivorsAtKill);

    // Restart all: every replica takes in the log and claims nothing.
    await stopAll(survivors);
    const before = await lastSeq();
    const restarted = await startAll(3, "b");
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await lastSeq()).toBe(before);
    expect(allocationsOf(await readState())).toEqual(allocationsOf(state));
    await stopAll(restarted);

    // The log is lost (a new NATS store); Services still say in their status what they hold.
    await nc.close();
    await server.stop();
    server = await startNatsServer();
    await connectTo(server);
    const withStatus = { ...config, services: config.services.map((s) => ({ ...s, statusIps: [...serviceIps(state.ipam, `${s.namespace}/${s.name}`)] })) };
    await startAll(3, "c");
    await publishConfig(withStatus);
    let rebuilt = await readState();
    await until("the allocations adopted", async () => allocatedCount((rebuilt = await readState())) === 500, 45_000, 250);
    expect(allocationsOf(rebuilt)).toEqual(allocationsOf(state));
    const reasons = new Set([...ipRecords(rebuilt.ipam)].flatMap(([, r]) => r.holders.map((h) => h.reason)));
    expect([...reasons]).toEqual(["adopted-from-status"]);
  });

  it("regressions: restart with pending Services; a pending Service gets an IP as soon as one is freed; a pool deleted and re-created", async () => {
    const services = manyServices(15, "p");
    const small = pool("small", ["198.18.20.0-198.18.20.9"]);
    const replicas = await startAll(3, "r");
    await publishConfig(clusterConfig({ pools: [small], services }));
    let state = await readState();
    await until("10 of 15 allocated", async () => allocatedCount((state = await readState())) === 10 && replicas.every((p) => has(p, "service cannot get an IP")), 20_000, 100);
    const pending = ipamStatus(state, { lbClass: null }).services.filter((s) => s.state === "pending");
    expect(pending.map((s) => s.pending[0]?.reason)).toEqual(Array(5).fill("pool-exhausted"));

    // Restart with pending Services: nothing moves, nothing new is claimed, the same five still wait.
    await stopAll(replicas);
    const before = await lastSeq();
    const again = await startAll(3, "s");
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await lastSeq()).toBe(before);
    expect(allocationsOf(await readState())).toEqual(allocationsOf(state));

    // A Service is deleted: its IP goes to the first pending Service (key order) at once.
    const gone = services[3] as ServiceConfig;
    const firstPending = pending[0]?.service ?? "";
    const freedIp = serviceIps(state.ipam, `${gone.namespace}/${gone.name}`)[0] ?? "";
    const published = Date.now();
    await publishConfig(clusterConfig({ pools: [small], services: services.filter((s) => s !== gone) }));
    await until("the freed IP to be given to the pending Service", async () => serviceIps((state = await readState()).ipam, firstPending)[0] === freedIp, 10_000, 20);
    const handedOverMs = Date.now() - published;
    expect(handedOverMs).toBeLessThan(5_000);

    // The pool is deleted: every allocation is kept (and reported); nothing is released.
    const remaining = services.filter((s) => s !== gone);
    const held = allocationsOf(state);
    const beforeDelete = await lastSeq();
    await publishConfig(clusterConfig({ pools: [], services: remaining }));
    await until("the allocators to report the uncovered allocations", () => again.every((p) => has(p, "allocation kept although the configuration no longer covers it")), 10_000);
    expect(await lastSeq()).toBe(beforeDelete + 1);
    expect(allocationsOf(await readState())).toEqual(held);

    // Re-created, larger: nothing moves; the pending Services are served.
    await publishConfig(clusterConfig({ pools: [pool("small", ["198.18.20.0-198.18.20.19"])], services: remaining }));
    await until("all 14 allocated", async () => allocatedCount((state = await readState())) === 14, 10_000, 100);
    const after = allocationsOf(state);
    for (const [svc, ips] of Object.entries(held)) expect(after[svc]).toEqual(ips);
    expect(state.ipam.rejected).toBe(0);
  });

  it("an allocator given --config publishes the file and allocates from it; ipam-status explains the outcome", async () => {
    const file = join(mkdtempSync(join(tmpdir(), "vipmesh-ipam-")), "config.yaml");
    writeFileSync(
      file,
      `kind: IPAddressPool
metadata: { name: files }
spec: { addresses: ["198.18.30.0/31", "2001:db8:30::/126"] }
---
kind: Service
metadata: { name: web, namespace: shop, annotations: { metallb.io/allow-shared-ip: front } }
spec: { type: LoadBalancer, ipFamilyPolicy: RequireDualStack, ports: [{ port: 443 }] }
---
kind: Service
metadata: { name: web-http, namespace: shop, annotations: { metallb.io/allow-shared-ip: front } }
spec: { type: LoadBalancer, ipFamilyPolicy: RequireDualStack, ports: [{ port: 80 }] }
---
kind: Service
metadata: { name: x-wants-taken, namespace: shop, annotations: { metallb.io/loadBalancerIPs: 198.18.30.0 } }
spec: { type: LoadBalancer }
`,
    );
    // The file replaces the earlier tests' configuration and its hundreds of Services: a mass release, applied on purpose.
    const a = startAllocator(server, "file-0", ["--config", file, "--config-poll", "100", "--max-release-share", "100"]);
    procs.push(a);
    await until("the file's Services allocated", async () => serviceIps(await readState().then((s) => s.ipam), "shop/web-http").length === 2, 20_000, 100);
    expect(has(a, "published configuration")).toBe(true);
    const status = await readIpamStatus([server.url], null, undefined, server.client());
    // Key order: web, web-http (sharing web's addresses), then x-wants-taken, whose requested IP web holds.
    expect(status.services.map((s) => [s.service, s.state, s.ips])).toEqual([
      ["shop/web", "allocated", ["198.18.30.0", "2001:db8:30::"]],
      ["shop/web-http", "allocated", ["198.18.30.0", "2001:db8:30::"]],
      ["shop/x-wants-taken", "pending", []],
    ]);
    const text = formatIpamStatus(status);
    expect(text).toMatch(/shop\/x-wants-taken +pending +- +\(IPv4 requested-ip-taken: 198\.18\.30\.0 is held by shop\/web \(does not allow sharing\)\)/);
    expect(text).toMatch(/files +IPv4 1 \/ 1 +IPv6 1 \/ 3/);
  });
});

