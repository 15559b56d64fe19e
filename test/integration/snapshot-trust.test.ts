import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { storedEventDigest } from "../../src/adapters/nats/storedEvent.js";
import { DEFAULT_STREAM_SETTINGS } from "../../src/adapters/nats/streams.js";
import { runAllocator, type AllocatorOptions } from "../../src/agents/allocator/allocator.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import { fileConfigSource } from "../../src/agents/speaker/configSource.js";
import { runSpeaker, type SpeakerOptions } from "../../src/agents/speaker/speaker.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { DEFAULT_RELEASE_GUARD } from "../../src/projections/ipam/releaseGuard.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { decodeSnapshot, encodeSnapshot } from "../../src/projections/snapshot.js";
import { DEFAULT_FENCE_SETTINGS } from "../../src/protocols/fence/fenceMachine.js";
import { parseProbeKeys } from "../../src/protocols/fence/probeKeys.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { LOOPBACK_CONFIG } from "../support/loopbackConfig.js";
import { memoryLogger } from "../support/memoryLog.js";
import { RecordingAnnouncer } from "../support/recordingAnnouncer.js";

// Snapshots cannot be forged (real nats-server): a snapshot written by an admin whose sequence points elsewhere or
// whose message digest is wrong is discarded by a starting speaker and allocator at load; one whose state was
// altered (digests made to match) is disproved by the replay of the log they run once caught up, and both then serve
// from the log, and the bucket holds a proven snapshot again.

const VIP = "127.0.0.200";
const NODE = "loopnode";
const PROBE_KEYS = parseProbeKeys(`1 ${Buffer.alloc(32, 9).toString("base64")}`, "test key");

let server: NatsServer;
let configFile: string;
let admin: NatsConnection;
let kv: KV;

beforeAll(async () => {
  server = await startNatsServer();
  configFile = join(mkdtempSync(join(tmpdir(), "vipmesh-snap-")), "config.yaml");
  writeFileSync(configFile, LOOPBACK_CONFIG);
  admin = await connectNats({ servers: [server.url], security: server.client("admin"), name: "forger", pingIntervalMs: 2_000 });
  kv = await new Kvm(admin).open("vipmesh_snapshots");
});

afterAll(async () => {
  await admin?.close();
  await server?.stop();
});

const speakerOptions = (announcer: RecordingAnnouncer, log: SpeakerOptions["log"]): SpeakerOptions => ({
  node: NODE, natsServers: [server.url], natsSecurity: server.client(), configSource: fileConfigSource(configFile), membership: DEFAULT_MEMBERSHIP_SETTINGS,
  streams: DEFAULT_STREAM_SETTINGS, excludeInterfaces: [], version: "test", handoverTimeoutMs: 300, snapshotEveryEvents: 1_000, configPollMs: 200,
  releaseGuard: DEFAULT_RELEASE_GUARD, fence: DEFAULT_FENCE_SETTINGS, probePort: 0, probeKeys: () => PROBE_KEYS, onSigterm: "restart", restartGraceMs: 60_000,
  announcer, log,
});
const allocatorOptions = (log: AllocatorOptions["log"]): AllocatorOptions => ({
  id: "a1", natsServers: [server.url], natsSecurity: server.client(), configSource: fileConfigSource(configFile), lbClass: null, streams: DEFAULT_STREAM_SETTINGS,
  maxInFlight: 16, replanMs: 500, configPollMs: 200, releaseGuard: DEFAULT_RELEASE_GUARD, snapshotEveryEvents: 1_000, log,
});

type Agents = { announcer: RecordingAnnouncer; speakerLog: ReturnType<typeof memoryLogger>; allocatorLog: ReturnType<typeof memoryLogger>; stop: () => Promise<void> };
let running: Agents | null = null;

function startAgents(): Agents {
  const announcer = new RecordingAnnouncer();
  const speakerLog = memoryLogger();
  const allocatorLog = memoryLogger();
  const abort = new AbortController();
  const both = Promise.all([runSpeaker(speakerOptions(announcer, speakerLog.log), abort.signal), runAllocator(allocatorOptions(allocatorLog.log), abort.signal)]);
  running = { announcer, speakerLog, allocatorLog, stop: async () => (abort.abort(), void (await both), void (running = null)) };
  return running;
}

afterEach(async () => {
  await running?.stop();
});

async function until<T>(what: string, probe: () => T | undefined | false, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function untilAsync(what: string, probe: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const said = (l: ReturnType<typeof memoryLogger>, msg: string): Record<string, unknown> | undefined => l.lines().find((x) => String(x["msg"]).includes(msg));

async function replayOfLog(): Promise<LogState> {
  let state = emptyLogState();
  await readWholeStream(admin, "EVENTS", (batch) => (state = applyLogBatch(state, decodeLogEntries(batch, () => undefined))));
  return state;
}

/** A snapshot as a forger with the admin's credentials writes it under both agents' keys. */
async function forge(state: LogState, digest: string | null): Promise<void> {
  for (const key of ["speaker", "allocator"]) await kv.put(key, encodeSnapshot(state, digest));
}

describe("snapshots are checked against the log", () => {
  it("the agents answer and store snapshots anchored to the message they cover", async () => {
    const a = startAgents();
    await until("the speaker answering the VIP", () => a.announcer.current.has(VIP), 20_000);
    await a.stop();
    const stored = decodeSnapshot((await kv.get("speaker"))!.string());
    expect(stored.seq).toBeGreaterThan(0);
    expect(stored.messageSha256).toBe(await storedEventDigest(await jetstreamManager(admin), stored.seq));
  }, 40_000);

  it.each([
    ["a sequence pointing at another message", async (s: LogState) => forge({ ...s, seq: s.seq - 1 }, await storedEventDigest(await jetstreamManager(admin), s.seq)), /does not match the snapshot's digest/],
    ["a wrong message digest", async (s: LogState) => forge(s, "0".repeat(64)), /does not match the snapshot's digest/],
    ["no message digest", async (s: LogState) => forge(s, null), /records no digest/],
    ["a sequence past the stream's end", async (s: LogState) => forge({ ...s, seq: s.seq + 1_000 }, "0".repeat(64)), /ahead of the stream|no message at sequence/],
  ] as const)("%s: discarded by the starting speaker and allocator, which serve from the log", async (_name, tamper, why) => {
    const truth = await replayOfLog();
    await tamper(truth);
    const a = startAgents();
    await until("the speaker answering the VIP", () => a.announcer.current.has(VIP), 20_000);
    for (const l of [a.speakerLog, a.allocatorLog]) {
      const discarded = l.lines().find((x) => x["msg"] === "snapshot does not match the log: discarded, rebuilding from the log" || String(x["msg"]).includes("ahead of the stream"));
      expect(discarded, JSON.stringify(l.lines().slice(0, 5))).toBeDefined();
      if (discarded?.["problem"] !== undefined) expect(String(discarded["problem"])).toMatch(why);
      expect(said(l, "starting from snapshot")).toBeUndefined();
    }
    expect(said(a.speakerLog, "speaker started")?.["fromSeq"]).toBe(0);
  }, 40_000);

  it("an altered state with matching digests is disproved by the replay once caught up: rebuilt from the log, the bucket proven again", async () => {
    const truth = await replayOfLog();
    expect(truth.vips[VIP]?.owner).toBe(NODE);
    // The forger hands the VIP to a node that does not exist and drops the allocation: a speaker trusting this would
    // stop answering, an allocator would hand the address out again.
    const record = truth.vips[VIP]!;
    const forged: LogState = { ...truth, vips: { ...truth.vips, [VIP]: { ...record, owner: "mallory", term: record.term + 1 } }, ipam: { ...truth.ipam, ips: {}, services: {} } };
    await forge(forged, await storedEventDigest(await jetstreamManager(admin), forged.seq));
    const a = startAgents();
    for (const l of [a.speakerLog, a.allocatorLog]) {
      await until("the snapshot loaded (its anchor is right)", () => said(l, "starting from snapshot"));
      const mismatch = await until("the replay disproving it", () => said(l, "does not match a replay of the log"), 20_000);
      expect(mismatch["level"]).toBe(50); // an error
    }
    await until("the speaker answering the VIP from the rebuilt projection", () => a.announcer.current.has(VIP), 20_000);
    for (const key of ["speaker", "allocator"]) {
      await untilAsync(`the ${key} snapshot replaced by a proven one`, async () => {
        const snap = decodeSnapshot((await kv.get(key))!.string());
        return snap.state.vips[VIP]?.owner === NODE && Object.keys(snap.state.ipam.ips).length > 0;
      });
    }
  }, 60_000);
});
