// A follower of a stream whose link to NATS is black-holed for 15 s (a pulled cable: nothing arrives, nothing is
// refused) keeps following once the client reconnects: the batches published meanwhile and after arrive. Real
// nats-server; the cut is a loopback proxy that drops bytes.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { pino } from "pino";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { followStream } from "../../src/adapters/nats/follow.js";
import { DEFAULT_STREAM_SETTINGS, ensureStreams } from "../../src/adapters/nats/streams.js";
import { subjects } from "../../src/events/subjects.js";
import { STREAMS } from "../../src/events/types.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { startBlackholeProxy, type BlackholeProxy } from "../support/blackholeProxy.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("following a stream across a 15 s black-holed link", () => {
  let server: NatsServer;
  let proxy: BlackholeProxy;
  beforeAll(async () => {
    server = await startNatsServer();
    proxy = await startBlackholeProxy(server.port);
  });
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it("batches arrive again after the client reconnects", async () => {
    const log = pino({ level: "info" });
    const writer = await connectNats({ servers: [server.url], security: server.client(), name: "writer", pingIntervalMs: 2_000 });
    await ensureStreams(await jetstreamManager(writer), DEFAULT_STREAM_SETTINGS);
    const reader = await connectNats({ servers: [`nats://127.0.0.1:${proxy.port}`], security: server.client(), name: "reader", pingIntervalMs: 2_000, log });
    const abort = new AbortController();
    let lastSeq = 0;
    const follower = await followStream({
      js: jetstream(reader), jsm: await jetstreamManager(reader), stream: STREAMS.heartbeats, start: { sinceMs: 10_000 }, maxBatch: 1000, signal: abort.signal,
      onBatch: (batch) => (lastSeq = batch.at(-1)?.meta.seq ?? lastSeq),
    });
    const js = jetstream(writer);
    let published = 0;
    const timer = setInterval(() => void js.publish(subjects.heartbeat("w"), new TextEncoder().encode("{}")).then((a) => (published = a.seq)), 50);
    try {
      await sleep(1_000);
      expect(lastSeq).toBeGreaterThan(0);
      proxy.cut();
      await sleep(15_000);
      proxy.restore();
      const deadline = Date.now() + 20_000;
      while (Date.now() < deadline && lastSeq < published) await sleep(100);
      console.log(`follow-cable: read up to ${lastSeq} of ${published}`);
      expect(lastSeq).toBeGreaterThanOrEqual(published - 1);
    } finally {
      clearInterval(timer);
      abort.abort();
      await follower.done.catch(() => undefined);
      await reader.close();
      await writer.close();
    }
  }, 60_000);
});
