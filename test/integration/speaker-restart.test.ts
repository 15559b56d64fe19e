import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { DEFAULT_STREAM_SETTINGS } from "../../src/adapters/nats/streams.js";
import { fileConfigSource } from "../../src/agents/speaker/configSource.js";
import { runSpeaker, type SpeakerOptions } from "../../src/agents/speaker/speaker.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { DEFAULT_FENCE_SETTINGS } from "../../src/protocols/fence/fenceMachine.js";
import { DEFAULT_RELEASE_GUARD } from "../../src/projections/ipam/releaseGuard.js";
import { encodeSnapshot } from "../../src/projections/snapshot.js";
import { emptyLogState } from "../../src/projections/logState.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { memoryLogger } from "../support/memoryLog.js";
import { RecordingAnnouncer } from "../support/recordingAnnouncer.js";
import { parseProbeKeys } from "../../src/protocols/fence/probeKeys.js";
import { LOOPBACK_CONFIG } from "../support/loopbackConfig.js";

const PROBE_KEYS = parseProbeKeys(`1 ${Buffer.alloc(32, 7).toString("base64")}`, "test key");

// A speaker against a real nats-server, on loopback: claims from a file configuration, stores a snapshot on
// shutdown and resumes from it; a snapshot the stream cannot back is discarded with a reason.

let server: NatsServer;
let configFile: string;

const yaml = LOOPBACK_CONFIG;

beforeAll(async () => {
  server = await startNatsServer();
  configFile = join(mkdtempSync(join(tmpdir(), "vipmesh-cfg-")), "config.yaml");
  writeFileSync(configFile, yaml);
});

afterAll(async () => {
  await server?.stop();
});

function options(announcer: RecordingAnnouncer, log: SpeakerOptions["log"]): SpeakerOptions {
  return {
    node: "loopnode",
    natsServers: [server.url],
    natsSecurity: server.client(),
    configSource: fileConfigSource(configFile),
    membership: DEFAULT_MEMBERSHIP_SETTINGS,
    streams: DEFAULT_STREAM_SETTINGS,
    // The loopback interface is the only one in the VIP's subnet; this test is about the log, not the link.
    excludeInterfaces: [],
    version: "test",
    handoverTimeoutMs: 500,
    snapshotEveryEvents: 1_000,
    configPollMs: 100,
    releaseGuard: DEFAULT_RELEASE_GUARD,
    fence: DEFAULT_FENCE_SETTINGS,
    probePort: 0,
    probeKeys: () => PROBE_KEYS,
    onSigterm: "handover",
    restartGraceMs: 10_000,
    announcer,
    log,
  };
}

async function runFor(ms: number, announcer: RecordingAnnouncer, log: SpeakerOptions["log"], until?: () => boolean): Promise<void> {
  const stop = new AbortController();
  const running = runSpeaker(options(announcer, log), stop.signal);
  const deadline = Date.now() + ms;
  while (Date.now() < deadline && !(until?.() ?? false)) await new Promise((r) => setTimeout(r, 20));
  stop.abort();
  await running;
}

describe("speaker restart against a real nats-server", () => {
  it("publishes the configuration once, stores a snapshot on shutdown, and resumes from it", async () => {
    const first = memoryLogger();
    await runFor(3_000, new RecordingAnnouncer(), first.log, () => first.lines().some((l) => l["msg"] === "published configuration"));
    expect(first.lines().filter((l) => l["msg"] === "published configuration")).toHaveLength(1);

    const second = memoryLogger();
    await runFor(1_500, new RecordingAnnouncer(), second.log);
    const resumed = second.lines().find((l) => l["msg"] === "starting from snapshot");
    expect(resumed?.["snapshotSeq"]).toBeGreaterThan(0);
    const started = second.lines().find((l) => l["msg"] === "speaker started");
    expect(started?.["fromSeq"]).toBe(resumed?.["snapshotSeq"]);
    // Same file, same hash: the restarted speaker publishes nothing new.
    expect(second.lines().filter((l) => l["msg"] === "published configuration")).toHaveLength(0);
  });

  it("publishes a changed file, and rejects an invalid one naming the field while the last good one keeps serving", async () => {
    const run = memoryLogger();
    const stop = new AbortController();
    const running = runSpeaker(options(new RecordingAnnouncer(), run.log), stop.signal);
    const waitFor = async (what: (l: Record<string, unknown>) => boolean): Promise<void> => {
      const deadline = Date.now() + 5_000;
      while (!run.lines().some(what) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    };
    await waitFor((l) => l["msg"] === "speaker started");
    writeFileSync(configFile, yaml.replace("127.0.0.210", "127.0.0.220"));
    await waitFor((l) => l["msg"] === "published configuration");
    writeFileSync(configFile, yaml.replace("127.0.0.200-127.0.0.210", "127.0.0.210-127.0.0.200"));
    await waitFor((l) => l["msg"] === "configuration rejected; the last good configuration keeps serving");
    await new Promise((r) => setTimeout(r, 300));
    stop.abort();
    await running;
    writeFileSync(configFile, yaml);
    const published = run.lines().filter((l) => l["msg"] === "published configuration");
    const rejected = run.lines().filter((l) => l["msg"] === "configuration rejected; the last good configuration keeps serving");
    expect(published).toHaveLength(1);
    expect(rejected).toHaveLength(1); // reported once, not on every poll
    expect(String(rejected[0]?.["err"])).toMatch(/IPAddressPool\/loopback: spec.addresses\[0\]: .*start is after its end/);
  });

  it("discards a snapshot the stream cannot back, and rebuilds from the log", async () => {
    const nc = await connectNats({ servers: [server.url], security: server.client(), name: "forger", pingIntervalMs: 2_000 });
    const kv = await new Kvm(nc).open("vipmesh_snapshots");
    await kv.put("speaker", encodeSnapshot({ ...emptyLogState(), seq: 1_000_000 })); // the speakers' key
    await nc.close();
    const run = memoryLogger();
    await runFor(1_000, new RecordingAnnouncer(), run.log);
    expect(run.lines().some((l) => String(l["msg"]).includes("rebuilding from the log"))).toBe(true);
    expect(run.lines().find((l) => l["msg"] === "speaker started")?.["fromSeq"]).toBe(0);
    // Having caught up, it replaced the bogus snapshot: the next start resumes from a real one.
    const next = memoryLogger();
    await runFor(1_000, new RecordingAnnouncer(), next.log);
    const resumed = next.lines().find((l) => l["msg"] === "starting from snapshot");
    expect(resumed?.["snapshotSeq"]).toBeGreaterThan(0);
    expect(resumed?.["snapshotSeq"]).toBeLessThan(1_000_000);
  });
});
