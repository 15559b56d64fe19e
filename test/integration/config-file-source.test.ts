import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { DEFAULT_STREAM_SETTINGS, ensureStreams } from "../../src/adapters/nats/streams.js";
import { ConfigPublisher } from "../../src/agents/config/configPublisher.js";
import { fileConfigSource } from "../../src/agents/speaker/configSource.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { LogReplayer } from "../../src/projections/batch.js";
import { buildTimeline } from "../../src/projections/timeline.js";
import { DEFAULT_RELEASE_GUARD } from "../../src/projections/ipam/releaseGuard.js";
import { allocationsByService } from "../../src/projections/ipam/state.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { has, startAllocator, stopAllocator, until, type AllocatorProc } from "../support/allocatorProcs.js";
import { memoryLogger } from "../support/memoryLog.js";

// The --config file source against a real nats-server (issue 10, items 1-3): every transition reaches the log, an
// empty or broken file releases nothing, a mass release is held unless forced, and a missing file says so.
// Allocators are real processes of the compiled CLI (npm run build first).

let server: NatsServer;
let nc: NatsConnection;
let dir: string;
let procs: AllocatorProc[] = [];

// A fresh server per test: each test's file is the whole configuration, and replacing another test's would be a
// mass release the guard holds.
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "vipmesh-config-"));
});

beforeEach(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: [server.url], security: server.client(), name: "config-file-test", pingIntervalMs: 2_000 });
  await ensureStreams(await jetstreamManager(nc), DEFAULT_STREAM_SETTINGS);
});

afterEach(async () => {
  await Promise.all(procs.map((p) => stopAllocator(p, "SIGKILL")));
  procs = [];
  await nc?.close();
  await server?.stop();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const POOL = (name: string, cidr: string): string => `kind: IPAddressPool\nmetadata: { name: ${name} }\nspec: { addresses: ["${cidr}"] }\n`;
const SERVICE = (ns: string, name: string): string => `kind: Service\nmetadata: { name: ${name}, namespace: ${ns} }\nspec: { type: LoadBalancer, ports: [{ port: 80 }] }\n`;
const manifests = (...docs: string[]): string => docs.join("---\n");

async function readState(): Promise<LogState> {
  const replayer = new LogReplayer(emptyLogState());
  await readWholeStream(nc, "EVENTS", (batch) => replayer.apply(decodeLogEntries(batch, () => undefined)));
  return replayer.result();
}

/** The hashes of every configuration a source's changes applied, in log order (each change is one, however many objects it set). */
async function configHashes(source: string): Promise<string[]> {
  const entries: Parameters<typeof buildTimeline>[0][number][] = [];
  await readWholeStream(nc, "EVENTS", (batch) => void entries.push(...decodeLogEntries(batch, () => undefined)));
  return buildTimeline(entries).rows.flatMap((r) => (r.kind === "config-applied" && r.source === source ? [r.hash] : []));
}

const services = (s: LogState, ns: string): string[] => Object.keys(allocationsByService(s.ipam)).filter((k) => k.startsWith(`${ns}/`));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function allocator(id: string, file: string | null, extra: string[] = []): AllocatorProc {
  const p = startAllocator(server, id, [...(file ? ["--config", file] : []), "--config-poll", "100", ...extra]);
  procs.push(p);
  return p;
}

describe("configuration transitions (issue 10, item 1)", () => {
  it("A -> B -> A -> B from four racing publishers: every step is on the log, once", async () => {
    const file = join(dir, "race.yaml");
    const source = fileConfigSource(file);
    const conns = await Promise.all([0, 1, 2, 3].map((i) => connectNats({ servers: [server.url], security: server.client(), name: `race-${i}`, pingIntervalMs: 2_000 })));
    try {
      const publishers = await Promise.all(
        conns.map(async (c) => new ConfigPublisher({ js: jetstream(c), source, guard: DEFAULT_RELEASE_GUARD, log: memoryLogger().log })),
      );
      const A = manifests(POOL("race", "198.18.40.0/28"), SERVICE("race", "one"), SERVICE("race", "two"));
      const B = manifests(POOL("race", "198.18.40.0/28"), SERVICE("race", "one"));
      const steps = [A, B, A, B];
      const expected: string[] = [];
      for (const text of steps) {
        writeFileSync(file, text);
        expected.push((await source.read()).hash);
        // Every publisher decides from the same projection at the head of the log, as agents that have caught up do.
        const view = { log: await readState(), caughtUp: true };
        await Promise.all(publishers.map((p) => p.check(view)));
        expect(await configHashes("file")).toEqual(expected);
        await sleep(1_500);
      }
      expect(new Set(expected).size).toBe(2);
    } finally {
      await Promise.all(conns.map((c) => c.close()));
    }
  });

  it("allocator processes: a Service removed, restored, removed again within seconds loses, regains and loses its IP each time", async () => {
    const file = join(dir, "restore.yaml");
    const A = manifests(POOL("restore", "198.18.41.0/28"), SERVICE("restore", "keep"), SERVICE("restore", "web"));
    const B = manifests(POOL("restore", "198.18.41.0/28"), SERVICE("restore", "keep"));
    writeFileSync(file, A);
    allocator("r0", file);
    allocator("r1", file);
    const steps = [[A, ["restore/keep", "restore/web"]], [B, ["restore/keep"]], [A, ["restore/keep", "restore/web"]], [B, ["restore/keep"]], [A, ["restore/keep", "restore/web"]]] as const;
    for (const [text, want] of steps) {
      writeFileSync(file, text);
      await until(`allocations ${want.join(", ")}`, async () => JSON.stringify(services(await readState(), "restore")) === JSON.stringify(want), 10_000, 100);
      await sleep(1_000);
    }
  });
});

describe("an empty, broken or mass-releasing file releases nothing (issue 10, item 2)", () => {
  const KEEP = ["guard/a", "guard/b", "guard/c", "guard/d"];
  const full = manifests(POOL("guard", "198.18.42.0/28"), ...["a", "b", "c", "d"].map((n) => SERVICE("guard", n)));

  it("empty, comments-only and truncated files are rejected with a clear message; a 75% release is held; the forced forms apply", async () => {
    const file = join(dir, "guard.yaml");
    writeFileSync(file, full);
    const a = allocator("g0", file);
    const b = allocator("g1", file);
    await until("4 Services allocated", async () => services(await readState(), "guard").length === 4, 10_000, 100);
    const configs = (await configHashes("file")).length;

    const REJECTED = "configuration rejected; the last good configuration keeps serving";
    const rejections = (p: AllocatorProc, why: RegExp): number => p.lines.filter((l) => l["msg"] === REJECTED && why.test(JSON.stringify(l["problems"]))).length;
    for (const [name, text, why] of [
      ["empty", "", /holds no objects/],
      ["comments only", "# emptied by a script\n", /holds no objects/],
      ["truncated", full.slice(0, full.indexOf("198.18.42.0") + 6), /YAML/],
    ] as const) {
      const before = [a, b].map((p) => rejections(p, why));
      writeFileSync(file, text);
      await until(`the ${name} file rejected`, () => [a, b].every((p, i) => rejections(p, why) > (before[i] ?? 0)), 10_000, 50);
      await sleep(500);
      expect(services(await readState(), "guard"), name).toEqual(KEEP);
      writeFileSync(file, full); // the same problem again is not repeated: a good read in between
      await sleep(500);
    }
    expect((await configHashes("file")).length).toBe(configs);

    // One Service left of four: a 75% release, held by both publishers and reported with the Services.
    writeFileSync(file, manifests(POOL("guard", "198.18.42.0/28"), SERVICE("guard", "a")));
    await until("the change held", () => [a, b].every((p) => has(p, "configuration change held: it would release more allocations than --max-release-share allows; nothing released (fix the file, or run one agent with --max-release-share 100 to apply it)")), 10_000, 50);
    const held = a.lines.find((l) => String(l["msg"]).startsWith("configuration change held"));
    expect(held).toMatchObject({ releases: 3, allocations: 4, maxSharePercent: 50, services: ["guard/b", "guard/c", "guard/d"] });
    await sleep(1_000);
    expect(services(await readState(), "guard")).toEqual(KEEP);
    expect((await configHashes("file")).length).toBe(configs);

    // Forced by the flag: one agent with --max-release-share 100 applies it.
    allocator("g2", file, ["--max-release-share", "100"]);
    await until("3 Services released", async () => services(await readState(), "guard").length === 1, 10_000, 100);

    // The deliberate empty form removes everything, guard or not.
    writeFileSync(file, "apiVersion: v1\nkind: List\nitems: []\n");
    await until("every Service released", async () => services(await readState(), "guard").length === 0, 10_000, 100);
    expect((await readState()).config?.config.pools).toEqual([]);
  });
});

describe("a missing file, and a process that never had a configuration (issue 10, item 3)", () => {
  it("says the file does not exist and that it is waiting, once, not once per poll; publishes the file when it appears; says so again when it goes", async () => {
    const missing = join(dir, "not-yet.yaml");
    const withFile = allocator("w0", missing);
    const without = allocator("w1", null);
    await sleep(3_000); // 30 polls
    const msgs = (p: AllocatorProc): string[] => p.lines.map((l) => String(l["msg"]));
    expect(msgs(withFile).filter((m) => m.includes("does not exist"))).toEqual([
      `configuration file ${missing} does not exist; no configuration has been published yet: waiting for a valid one (nothing is served)`,
    ]);
    expect(msgs(without).filter((m) => m.startsWith("waiting for a configuration"))).toHaveLength(1);
    expect(msgs(withFile).some((m) => m.includes("last good configuration"))).toBe(false);

    writeFileSync(missing, manifests(POOL("late", "198.18.43.0/28"), SERVICE("late", "web")));
    await until("the file published", () => has(withFile, "published configuration"), 10_000, 50);
    rmSync(missing);
    await until("the file reported missing", () => msgs(withFile).includes(`configuration file ${missing} does not exist; the last good configuration keeps serving`), 10_000, 50);
  });
});
