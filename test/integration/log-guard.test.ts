import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { closeNats, connectNats } from "../../src/adapters/nats/connect.js";
import { guardLog, type LogWeakenedError } from "../../src/adapters/nats/logGuard.js";
import { initLog } from "../../src/adapters/nats/logInit.js";
import { DEFAULT_STREAM_SETTINGS, eventsStreamConfig, requirementsOf } from "../../src/adapters/nats/streams.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { until } from "../support/allocatorProcs.js";
import { jsonLines, runCli, stopCli, type CliProc } from "../support/cliProcs.js";

// A real nats-server with the roles' authorization: only the admin may change the log, and a speaker that sees it
// weakened stops at once, naming the field.

let server: NatsServer;
const procs: CliProc[] = [];
const conns: NatsConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer({ users: ["speaker-n1"] });
});

afterAll(async () => {
  await Promise.all(procs.map((p) => stopCli(p)));
  await Promise.all(conns.map((c) => closeNats(c)));
  await server?.stop();
});

async function connectAs(user: string): Promise<NatsConnection> {
  const nc = await connectNats({ servers: [server.url], security: server.client(user), name: `as-${user}`, pingIntervalMs: 2_000, giveUpAfterMs: 10_000 });
  conns.push(nc);
  return nc;
}

async function manager(user: string): Promise<JetStreamManager> {
  return jetstreamManager(await connectAs(user), { timeout: 3_000 });
}

describe("the log's settings", () => {
  it.each(["speaker-n1", "allocator", "controller", "reader"])("%s may not update, purge or delete a stream, or delete the bucket", async (user) => {
    const jsm = await manager(user);
    await expect(jsm.streams.update("EVENTS", { ...eventsStreamConfig(DEFAULT_STREAM_SETTINGS), max_msgs: 1 })).rejects.toThrow(/[Pp]ermissions [Vv]iolation|timeout/);
    await expect(jsm.streams.purge("HEARTBEATS")).rejects.toThrow(/[Pp]ermissions [Vv]iolation|timeout/);
    await expect(jsm.streams.delete("EVENTS")).rejects.toThrow(/[Pp]ermissions [Vv]iolation|timeout/);
    await expect(jsm.streams.delete("KV_vipmesh_snapshots")).rejects.toThrow(/[Pp]ermissions [Vv]iolation|timeout/);
    const admin = await manager("admin");
    expect((await admin.streams.info("EVENTS")).config.max_msgs).toBe(-1);
    expect((await admin.streams.info("HEARTBEATS")).state.messages).toBeGreaterThanOrEqual(0);
  });

  it("a speaker running on the log exits (status 3) naming the field once the admin weakens EVENTS", async () => {
    const p = runCli(["speaker", "--node", "n1", "--nats", server.url, ...server.cliArgs("speaker-n1"), "--probe-port", "0", "--insecure-probes", "--metrics-port", "0"]);
    procs.push(p);
    await until("the speaker starts", () => jsonLines(p.out).some((l) => l["msg"] === "speaker started"), 30_000);
    const admin = await manager("admin");
    await admin.streams.update("EVENTS", { ...eventsStreamConfig(DEFAULT_STREAM_SETTINGS), max_msgs: 1 });
    const exit = await p.exited;
    expect(exit.code).toBe(3);
    const fatal = jsonLines(p.out).find((l) => l["level"] === 60);
    expect(String(fatal?.["msg"])).toContain('EVENTS.max_msgs is 1, needs no limit (-1 or 0)');
    expect(fatal?.["differences"]).toEqual([{ stream: "EVENTS", field: "max_msgs", actual: 1, wanted: "no limit (-1 or 0)" }]);
  });

  it("a stream missing for a moment (a leader election) is tolerated; one missing for longer is a deleted log", async () => {
    const own = await startNatsServer({ users: ["speaker-n1"] });
    try {
      const admin = await connectNats({ servers: [own.url], security: own.client("admin"), name: "admin", pingIntervalMs: 2_000 });
      const speaker = await connectNats({ servers: [own.url], security: own.client("speaker-n1"), name: "speaker", pingIntervalMs: 2_000 });
      const seen: LogWeakenedError[] = [];
      const stop = new AbortController();
      guardLog(speaker, await jetstreamManager(speaker), requirementsOf(DEFAULT_STREAM_SETTINGS), stop.signal, (e) => seen.push(e), 100, 1_500);
      await (await jetstreamManager(admin)).streams.delete("HEARTBEATS");
      await initLog(admin, DEFAULT_STREAM_SETTINGS);
      await new Promise((r) => setTimeout(r, 2_000));
      expect(seen).toEqual([]);
      await (await jetstreamManager(admin)).streams.delete("HEARTBEATS");
      await until("the deleted stream reported", () => seen.length > 0, 10_000);
      expect(seen[0]?.message).toContain("HEARTBEATS.(stream) is \"missing\"");
      stop.abort();
      await Promise.all([closeNats(admin), closeNats(speaker)]);
    } finally {
      await own.stop();
    }
  });
});
