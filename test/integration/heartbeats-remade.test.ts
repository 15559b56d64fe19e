import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstreamManager, StorageType } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { closeNats, connectNats } from "../../src/adapters/nats/connect.js";
import { DEFAULT_STREAM_SETTINGS, heartbeatsStreamConfig } from "../../src/adapters/nats/streams.js";
import { STREAMS } from "../../src/events/types.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { runCli, stopCli, type CliProc } from "../support/cliProcs.js";
import { freeTcpPort, sampleValue } from "../support/promText.js";

// Upgrading an install whose HEARTBEATS an older release made (file storage, an fsync per beat): `vipmesh log init`
// makes it again without the fsync, under two running speakers. Its sequences start again at 1, far below where the
// speakers' followers are; they must start over with it (follow.ts onRestart), or their membership stops at the old
// stream's last beat: the lag grows, and each fences on a log that went silent. Real nats-server, compiled CLI.

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let nats: NatsServer;
let admin: NatsConnection;
const speakers: { node: string; port: number; proc: CliProc }[] = [];

async function metrics(port: number): Promise<string> {
  return (await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
}

async function until(what: string, check: () => Promise<boolean>, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`timed out: ${what}\n${speakers.map((s) => `${s.node}: ${s.proc.out.slice(-8).join("\n")}`).join("\n")}`);
}

const alive = async (port: number): Promise<number> => sampleValue(await metrics(port), "vipmesh_membership_nodes", { status: "alive" }) ?? 0;

beforeAll(async () => {
  nats = await startNatsServer();
  admin = await connectNats({ servers: [nats.url], security: nats.client(), name: "test-admin", pingIntervalMs: 2_000 });
  const jsm = await jetstreamManager(admin);
  // As the release before this one made it, after a long life: its sequences are far above where a new one starts.
  await jsm.streams.delete(STREAMS.heartbeats);
  const { persist_mode: _, ...older } = heartbeatsStreamConfig(DEFAULT_STREAM_SETTINGS);
  await jsm.streams.add({ ...older, storage: StorageType.File, first_seq: 1_000_000 });
  for (const node of ["n1", "n2"]) {
    const port = await freeTcpPort();
    const proc = runCli(["speaker", "--node", node, "--nats", nats.url, ...nats.cliArgs(), "--probe-port", "0", "--insecure-probes", "--metrics-port", String(port), "--metrics-address", "127.0.0.1"]);
    speakers.push({ node, port, proc });
  }
}, 60_000);

afterAll(async () => {
  await Promise.all(speakers.map((s) => stopCli(s.proc)));
  if (admin) await closeNats(admin);
  await nats?.stop();
});

describe("HEARTBEATS made again under running speakers", () => {
  it("log init replaces an fsync'd HEARTBEATS, and the speakers follow the new stream from its first beat", async () => {
    for (const s of speakers) await until(`${s.node} sees both nodes alive`, async () => (await alive(s.port)) === 2, 30_000);
    const jsm = await jetstreamManager(admin);
    const before = (await jsm.streams.info(STREAMS.heartbeats)).state.last_seq;
    await sleep(1_000);
    expect((await jsm.streams.info(STREAMS.heartbeats)).state.last_seq).toBeGreaterThan(Math.max(before, 1_000_000) + 20);

    const init = runCli(["log", "init", "--nats", nats.url, ...nats.cliArgs()]);
    expect((await init.exited).code, init.err.join("\n")).toBe(0);
    const info = await jsm.streams.info(STREAMS.heartbeats);
    expect(info.config).toMatchObject({ storage: "file", persist_mode: "async" });

    for (const s of speakers) {
      await until(`${s.node} says HEARTBEATS started over`, async () => s.proc.out.some((l) => l.includes("HEARTBEATS started over")), 15_000).catch((e) => { console.log(JSON.stringify(info.state), s.proc.out.slice(6).join("\n"), s.proc.err.join("\n")); throw e; });
    }
    // Longer than the dead timeout. A speaker may fence while the stream is gone (its probes reach no peer here:
    // --probe-port 0), but must be back: without starting over, its membership stayed at the old stream's end.
    await sleep(3_000);
    for (const s of speakers) {
      const text = await metrics(s.port);
      expect(sampleValue(text, "vipmesh_membership_nodes", { status: "alive" }), `${s.node}: both nodes alive`).toBe(2);
      expect(sampleValue(text, "vipmesh_fenced"), `${s.node}: not fenced`).toBe(0);
      expect(sampleValue(text, "vipmesh_log_lag_seconds", { stream: "HEARTBEATS" }) ?? Infinity, `${s.node}: following the new stream`).toBeLessThan(1);
    }
  }, 90_000);
});
