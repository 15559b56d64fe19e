// Readiness is a position: a view is ready once it has applied HEARTBEATS up to the stream's last sequence as of
// when it started, however much keeps arriving. Real nats-server; 100 simulated nodes beating every 50 ms from a
// separate process (the scale benchmark's simulator, compiled: npm run build) are 2,000 heartbeats a second, and the
// reader spends 1 ms on each (a speaker at full load), so its consumer always has messages pending and is never
// idle. A view that waited for an idle moment ("nothing pending at the server") never became ready.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { followStream } from "../../src/adapters/nats/follow.js";
import { DEFAULT_STREAM_SETTINGS, ensureStreams } from "../../src/adapters/nats/streams.js";
import { SpeakerView } from "../../src/agents/speaker/view.js";
import { STREAMS } from "../../src/events/types.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";

const SIMULATOR = join(process.cwd(), "dist/bench/scale/simulator.js");
const COST_PER_MESSAGE_MS = 1;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // the reader's work on one message
  }
}

describe("readiness under a continuous flow of heartbeats (real nats-server, 100 simulated nodes)", () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let simulator: ChildProcess;
  beforeAll(async () => {
    if (!existsSync(SIMULATOR)) throw new Error(`${SIMULATOR} not found: run npm run build first`);
    server = await startNatsServer();
    nc = await connectNats({ servers: [server.url], security: server.client(), name: "reader", pingIntervalMs: 2_000 });
    await ensureStreams(await jetstreamManager(nc), DEFAULT_STREAM_SETTINGS);
    simulator = spawn(process.execPath, [SIMULATOR, "--nats", server.url, ...server.cliArgs(), "--nodes", "100", "--interval", "50"], { stdio: "ignore" });
  });
  afterAll(async () => {
    simulator?.kill("SIGTERM");
    await nc?.close();
    await server?.stop();
  });

  const lastSeq = async (): Promise<number> => (await (await jetstreamManager(nc)).streams.info(STREAMS.heartbeats)).state.last_seq;

  it("the view is ready once it has applied the stream up to its last sequence at start, while beats keep coming", async () => {
    while ((await lastSeq()) < 3_000) await sleep(100); // a backlog of about 1.5 s of beats
    const view = new SpeakerView(DEFAULT_MEMBERSHIP_SETTINGS, () => undefined);
    view.logCaughtUp = true; // EVENTS is not under test (empty)
    const abort = new AbortController();
    const startedAt = await lastSeq();
    let readyAt: number | null = null;
    const follower = await followStream({
      nc, js: jetstream(nc), jsm: await jetstreamManager(nc), stream: STREAMS.heartbeats, start: { sinceMs: 10_000 }, maxBatch: 1000, signal: abort.signal,
      onBatch: (batch, caughtUp) => {
        busy(COST_PER_MESSAGE_MS * batch.length);
        view.applyHeartbeats(batch, caughtUp);
        if (!view.ready || readyAt !== null) return;
        readyAt = view.members.seq;
        abort.abort(); // the reader's busy loop would starve the checks below of the event loop
      },
    });
    try {
      const deadline = Date.now() + 30_000;
      while (readyAt === null && Date.now() < deadline) await sleep(100);
      abort.abort();
      await follower.done.catch(() => undefined);
      const headWhenChecked = await lastSeq();
      expect(readyAt, "the view became ready").not.toBeNull();
      expect(readyAt ?? 0).toBeGreaterThanOrEqual(startedAt);
      // The flow went on: the head had moved well past what the view had applied when it became ready.
      expect(headWhenChecked).toBeGreaterThan((readyAt ?? 0) + 1_000);
      expect(Object.keys(view.members.nodes).length).toBe(100);
    } finally {
      abort.abort();
      await follower.done.catch(() => undefined);
    }
  }, 60_000);
});
