import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { ensureStreams, DEFAULT_STREAM_SETTINGS } from "../../src/adapters/nats/streams.js";
import { publishEvent } from "../../src/adapters/nats/publish.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { subjects } from "../../src/events/subjects.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState } from "../../src/projections/logState.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";

// Against a real nats-server: each claimant publishes on its own subject (vipmesh.ev.vip.<vip>.<node>), and the
// compare-and-set over the chain's wildcard (Nats-Expected-Last-Subject-Sequence-Subject) lets exactly one win.

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

  it("a configuration and an allocation for each VIP the races claim (claims for unallocated addresses are refused)", async () => {
    const js = jetstream(conns[0] as NatsConnection);
    const pool = { name: "p", addresses: ["198.18.1.0/24", "198.18.3.0/24"], autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null };
    const config = { pools: [pool], l2Advertisements: [], services: [], nodes: [], namespaces: [] };
    expect((await publishEvent(js, subjects.config("file"), { type: "ConfigApplied", data: { source: "file", hash: "h", config } })).ok).toBe(true);
    for (const ip of [...Array.from({ length: 10 }, (_, run) => `198.18.1.${run + 1}`), "198.18.3.1"]) {
      const sharing = { key: null, backendKey: "", ports: ["TCP/80"] };
      const allocated = await publishEvent(js, subjects.ipClaim(ip, "a1"), { type: "IpAllocated", data: { ip, service: `ns/${ip}`, pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence: { allocator: "a1", configHash: "h", observedSeq: 0 } } }, { expectLastSubjectSeq: 0, chain: subjects.ipChain(ip) });
      expect(allocated.ok).toBe(true);
    }
  });

  it.each(Array.from({ length: 10 }, (_, i) => i))("20 concurrent claimants for one VIP: exactly one wins (run %i)", async (run) => {
    const vip = `198.18.1.${run + 1}`;
    const results = await Promise.all(
      conns.map((nc, i) =>
        publishEvent(jetstream(nc), subjects.vipClaim(vip, `node${i}`), {
          type: "VipClaimed",
          data: { vip, node: `node${i}`, incarnation: 1, term: 1, reason: "unowned", evidence },
        }, { expectLastSubjectSeq: 0, chain: subjects.vipChain(vip) }),
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

  it("10 allocators racing for one IP, each on its own subject: the wildcard guard stores exactly one", async () => {
    const ip = "198.18.2.7";
    const results = await Promise.all(
      conns.slice(0, 10).map((nc, i) =>
        publishEvent(jetstream(nc), subjects.ipClaim(ip, `alloc${i}`), {
          type: "IpAllocated",
          data: { ip, service: `ns/s${i}`, pool: "p", reason: "auto-assign", sharing: { key: null, backendKey: "", ports: ["TCP/80"] }, lbClass: null, evidence: { allocator: `alloc${i}`, configHash: null, observedSeq: 0 } },
        }, { expectLastSubjectSeq: 0, chain: subjects.ipChain(ip) }),
      ),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok && r.conflict)).toHaveLength(9);
  });

  it("the next claim on a chain must expect the last claim by anyone: a claimant that saw only its own subject loses", async () => {
    const vip = "198.18.3.1";
    const js = jetstream(conns[0] as NatsConnection);
    const first = await publishEvent(js, subjects.vipClaim(vip, "nodeA"), { type: "VipClaimed", data: { vip, node: "nodeA", incarnation: 1, term: 1, reason: "unowned", evidence } }, { expectLastSubjectSeq: 0, chain: subjects.vipChain(vip) });
    expect(first.ok).toBe(true);
    const stale = await publishEvent(js, subjects.vipClaim(vip, "nodeB"), { type: "VipClaimed", data: { vip, node: "nodeB", incarnation: 1, term: 1, reason: "unowned", evidence } }, { expectLastSubjectSeq: 0, chain: subjects.vipChain(vip) });
    expect(stale).toMatchObject({ ok: false, conflict: true });
    const next = await publishEvent(js, subjects.vipClaim(vip, "nodeB"), { type: "VipClaimed", data: { vip, node: "nodeB", incarnation: 1, term: 2, reason: "owner-dead", evidence } }, { expectLastSubjectSeq: first.ok ? first.seq : -1, chain: subjects.vipChain(vip) });
    expect(next.ok).toBe(true);
  });
});
