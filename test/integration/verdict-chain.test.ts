import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { publishEvent } from "../../src/adapters/nats/publish.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import { VerdictPublisher, type JudgedVerdict } from "../../src/agents/speaker/verdictPublisher.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { subjects } from "../../src/events/subjects.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";

// Verdicts against a real nats-server with the speakers' own credentials: each watcher may publish only on its own
// subject of a target's chain (vipmesh.ev.member.<target>.<itself>), the compare-and-set over the chain's wildcard lets
// the first verdict for an incarnation win, and the projection read back from the stream holds exactly that one.

const NODES = ["n1", "n2", "n3", "n4"];
let server: NatsServer;
const conns = new Map<string, NatsConnection>();
const quiet = pino({ level: "silent" });

beforeAll(async () => {
  server = await startNatsServer({ users: NODES.map((n) => `speaker-${n}`) });
  for (const n of NODES) conns.set(n, await connectNats({ servers: [server.url], security: server.client(`speaker-${n}`), name: n, pingIntervalMs: 2_000 }));
  // Every node joins with its facts, as its speaker does at start.
  for (const n of NODES) {
    const joined = await publishEvent(jetstream(conn(n)), subjects.nodeLifecycle(n), { type: "NodeFactsChanged", data: { node: n, incarnation: 7, version: "t", interfaces: [], membership: "verdicts" } });
    expect(joined.ok).toBe(true);
  }
});

afterAll(async () => {
  await Promise.all([...conns.values()].map((c) => c.close()));
  await server?.stop();
});

function conn(n: string): NatsConnection {
  const c = conns.get(n);
  if (!c) throw new Error(`no connection for ${n}`);
  return c;
}

async function projection(): Promise<LogState> {
  let state = emptyLogState();
  await readWholeStream(conn("n1"), "EVENTS", (batch) => {
    state = applyLogBatch(state, decodeLogEntries(batch, () => undefined));
  });
  return state;
}

const dead = (target: string): JudgedVerdict => ({ kind: "NodeDeclaredDead", target, incarnation: 7, evidence: { lastReplyAt: Date.now() - 300, probes: 5, indirect: [{ via: "n4", replied: false }], watcherHealth: 0 } });

describe("verdict chains against a real nats-server", () => {
  it("a speaker may publish a verdict only as itself: another watcher's subject is refused by the server", async () => {
    const forged = await publishEvent(jetstream(conn("n2")), subjects.memberVerdict("n1", "n3"), { type: "NodeDeclaredDead", data: { target: "n1", watcher: "n3", incarnation: 7, position: 1, evidence: dead("n1").evidence } }, { expectLastSubjectSeq: 0, chain: subjects.memberChain("n1") });
    expect(forged.ok).toBe(false);
    if (!forged.ok) expect(forged.error).toMatch(/Permissions Violation/i);
  });

  it("watchers racing on one target's chain: the first verdict wins, the others lose the compare-and-set and stop", async () => {
    const state = await projection();
    const watchers = ["n2", "n3", "n4"];
    const publishers = watchers.map((w) => new VerdictPublisher(jetstream(conn(w)), w, quiet));
    const results = await Promise.all(publishers.map((p) => p.submit(dead("n1"), state)));
    expect(results.filter((r) => r?.ok)).toHaveLength(1);
    expect(results.filter((r) => r !== null && !r.ok && r.conflict)).toHaveLength(2);
    const after = await projection();
    const winner = watchers[results.findIndex((r) => r?.ok)];
    // With four nodes and three watchers each, every other node is in n1's ring: the verdict counts.
    expect(after.verdicts.targets["n1"]).toMatchObject({ status: "dead", incarnation: 7, by: winner });
    expect(after.memberChains["n1"]).toBe(after.seq);
    // A loser that judges again against the new projection sends nothing: the verdict is already there.
    expect(await publishers[0]?.submit(dead("n1"), after)).toBeNull();
  });

  it("a suspected node refutes on its own subject at a higher incarnation, and is alive again", async () => {
    const state = await projection();
    const suspect = new VerdictPublisher(jetstream(conn("n2")), "n2", quiet);
    const judged = await suspect.submit({ ...dead("n3"), kind: "NodeSuspected" }, state);
    expect(judged?.ok).toBe(true);
    const suspected = await projection();
    expect(suspected.verdicts.targets["n3"]?.status).toBe("suspect");
    const self = new VerdictPublisher(jetstream(conn("n3")), "n3", quiet);
    expect((await self.refute(suspected, 0))?.ok).toBe(true);
    const refuted = await projection();
    expect(refuted.verdicts.targets["n3"]).toMatchObject({ status: "alive", incarnation: 8, by: "n3" });
    expect(await self.refute(refuted, 0)).toBeNull();
  });
});
