import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { ensureStreams, DEFAULT_STREAM_SETTINGS } from "../../src/adapters/nats/streams.js";
import { publishEvent } from "../../src/adapters/nats/publish.js";
import { readWholeStream } from "../../src/agents/replay/readLog.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { subjects } from "../../src/events/subjects.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState } from "../../src/projections/logState.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";

// Against a real nats-server: compare-and-set on the VIP subject lets exactly one of many racing claimants win.

let server: NatsServer;
const conns: NatsConnection[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  for (let i = 0; i < 20; i++) conns.push(await connectNats({ servers: [server.url], security: server.client(), name: `claimant-${i}`, pingIntervalMs: 2_000 }));
  await ensureStreams(await jetstreamManager(conns[0] as NatsConnection), DEFAULT_STREAM_SETTINGS);
});

afterAll(async () => {
  await Promise.all(conns.map((c) => c.close()));
  await server?.stop();
});

const evidence = { previousOwner: null, previousOwnerStatus: null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: 0, eligibleNodes: 20 };

describe("claims against a real nats-server", () => {
  it("ensureStreams is idempotent and sets the durability settings", async () => {
    const jsm = await jetstreamManager(conns[0] as NatsConnection);
    await ensureStreams(jsm, DEFAULT_STREAM_SETTINGS);
    const events = await jsm.streams.info("EVENTS");
    expect(events.config.storage).toBe("file");
    expect(events.config.deny_delete).toBe(true);
    const beats = await jsm.streams.info("HEARTBEATS");
    expect(beats.config.max_age).toBeGreaterThan(0);
  });

  it.each(Array.from({ length: 10 }, (_, i) => i))("20 concurrent claimants for one VIP: exactly one wins (run %i)", async (run) => {
    const vip = `198.18.1.${run + 1}`;
    const results = await Promise.all(
      conns.map((nc, i) =>
        publishEvent(jetstream(nc), subjects.vip(vip), {
          type: "VipClaimed",
          data: { vip, node: `node${i}`, incarnation: 1, term: 1, reason: "unowned", evidence },
        }, { expectLastSubjectSeq: 0 }),
      ),
    );
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.conflict)).toHaveLength(19);

    // A loser re-reads the log and sees the winner as owner.
    let state = emptyLogState();
    await readWholeStream(conns[1] as NatsConnection, "EVENTS", (batch) => {
      state = applyLogBatch(state, decodeLogEntries(batch, () => undefined));
    });
    expect(state.vips[vip]?.term).toBe(1);
    expect(state.vips[vip]?.owner).toMatch(/^node\d+$/);
    expect(state.staleClaims).toBe(0);
  });
});
