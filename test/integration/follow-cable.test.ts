// A follower of a stream whose link to NATS is black-holed for 15 s (a pulled cable: nothing arrives, nothing is
// refused) keeps following once the client reconnects: what was published meanwhile and after arrives, also when the
// stream goes quiet after the cut (the message the server pushed into the dead connection is the last one). Real
// nats-server; the cut is a loopback proxy that drops bytes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { pino } from "pino";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { followStream, type FollowStart } from "../../src/adapters/nats/follow.js";
import { DEFAULT_STREAM_SETTINGS, ensureStreams } from "../../src/adapters/nats/streams.js";
import { subjects } from "../../src/events/subjects.js";
import { STREAMS } from "../../src/events/types.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { startBlackholeProxy, type BlackholeProxy } from "../support/blackholeProxy.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CUT_MS = 15_000;

describe("following a stream across a 15 s black-holed link", () => {
  let server: NatsServer;
  let proxy: BlackholeProxy;
  let writer: NatsConnection;
  beforeAll(async () => {
    server = await startNatsServer();
    proxy = await startBlackholeProxy(server.port);
    writer = await connectNats({ servers: [server.url], security: server.client(), name: "writer", pingIntervalMs: 2_000 });
    await ensureStreams(await jetstreamManager(writer), DEFAULT_STREAM_SETTINGS);
  });
  afterAll(async () => {
    await writer?.close();
    await proxy?.close();
    await server?.stop();
  });

  /** Follows HEARTBEATS through the proxy from `start`; `seen()` is the last sequence handed over. */
  const follow = async (start: FollowStart): Promise<{ seen: () => number; stop: () => Promise<void> }> => {
    const reader = await connectNats({ servers: [`nats://127.0.0.1:${proxy.port}`], security: server.client(), name: "reader", pingIntervalMs: 2_000, log: pino({ level: "warn" }) });
    const abort = new AbortController();
    let seen = 0;
    const follower = await followStream({
      nc: reader, js: jetstream(reader), jsm: await jetstreamManager(reader), stream: STREAMS.heartbeats, start, maxBatch: 1000, signal: abort.signal,
      onBatch: (batch) => (seen = batch.at(-1)?.meta.seq ?? seen),
    });
    return { seen: () => seen, stop: async () => { abort.abort(); await follower.done.catch(() => undefined); await reader.close(); } };
  };
  const publish = async (): Promise<number> => (await jetstream(writer).publish(subjects.heartbeat("w"), new TextEncoder().encode("{}"))).seq;
  const waitUntilSeen = async (f: { seen: () => number }, seq: number, ms: number): Promise<void> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && f.seen() < seq) await sleep(50);
  };

  it("a follower started by time reads what was published during and after the cut", async () => {
    const f = await follow({ sinceMs: 10_000 });
    let published = 0;
    const timer = setInterval(() => void publish().then((seq) => (published = seq)), 50);
    try {
      await sleep(1_000);
      expect(f.seen()).toBeGreaterThan(0);
      proxy.cut();
      await sleep(CUT_MS);
      proxy.restore();
      await waitUntilSeen(f, published, 20_000);
      expect(f.seen()).toBeGreaterThanOrEqual(published - 1);
    } finally {
      clearInterval(timer);
      await f.stop();
    }
  }, 60_000);

  it("a follower started at a sequence reads the last message of a stream that went quiet during the cut", async () => {
    const f = await follow({ seq: (await publish()) + 1 });
    try {
      await sleep(1_000);
      proxy.cut();
      const last = await publish(); // pushed by the server (a pull is always outstanding) into the connection now cut
      await sleep(CUT_MS);
      proxy.restore();
      await waitUntilSeen(f, last, 20_000);
      expect(f.seen()).toBe(last);
    } finally {
      await f.stop();
    }
  }, 60_000);

  it("a follower started while the server does not answer waits for it instead of failing with a timeout", async () => {
    // What a speaker met at start under 200 nodes' heartbeats: its stream info and start-time lookup timed out, and
    // it exited with "timeout". Here the link is black-holed for 7 s from the moment the follower starts.
    const reader = await connectNats({ servers: [`nats://127.0.0.1:${proxy.port}`], security: server.client(), name: "reader", pingIntervalMs: 2_000, log: pino({ level: "silent" }) });
    const abort = new AbortController();
    let seen = 0;
    try {
      await publish();
      const jsm = await jetstreamManager(reader);
      proxy.cut();
      const following = followStream({
        nc: reader, js: jetstream(reader), jsm, stream: STREAMS.heartbeats, start: { sinceMs: 10_000 }, maxBatch: 1000, signal: abort.signal,
        onBatch: (batch) => (seen = batch.at(-1)?.meta.seq ?? seen),
      });
      const outcome = following.then(() => "following", (err: unknown) => `failed: ${String(err)}`);
      await sleep(7_000);
      proxy.restore();
      expect(await outcome).toBe("following");
      const last = await publish();
      await waitUntilSeen({ seen: () => seen }, last, 20_000);
      expect(seen).toBe(last);
    } finally {
      abort.abort();
      await reader.close();
    }
  }, 60_000);
});
