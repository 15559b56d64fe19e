import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { Claimer, MAX_CLAIMS_IN_FLIGHT } from "../../src/agents/speaker/claims.js";
import type { PlannedClaim } from "../../src/projections/ownershipPlan.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";

// A speaker's share of 10,000 unowned VIPs is thousands of claims in one plan, submitted again on every batch of
// heartbeats until the view has applied them. Against a real nats-server that fsyncs every message: the claimer keeps
// a bounded number waiting for acknowledgements and never publishes a claim again that was stored (before, every
// claim of the plan was published at once, and again on each submit after its acknowledgement: a certain conflict).

let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: [server.url], security: server.client(), name: "claimer-flow", pingIntervalMs: 2_000 });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

const evidence = { previousOwner: null, previousOwnerStatus: null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: 0, eligibleNodes: 3 };
const planOf = (net: number, n: number): PlannedClaim[] =>
  Array.from({ length: n }, (_, i) => ({ vip: `198.18.${net + Math.floor(i / 250)}.${(i % 250) + 1}`, node: "node1", term: 1, expectedSubjectSeq: 0, reason: "unowned", evidence }));

/** Messages stored on the claim chains of `vips`. */
async function claimsStored(vips: readonly string[]): Promise<number> {
  const info = await (await jetstreamManager(nc)).streams.info("EVENTS", { subjects_filter: "vipmesh.ev.vip.>" });
  const wanted = new Set(vips.map((v) => `vipmesh.ev.vip.${v.replaceAll(".", "_")}.node1`));
  return Object.entries(info.state.subjects ?? {}).filter(([s]) => wanted.has(s)).reduce((a, [, n]) => a + n, 0);
}

describe("the claimer against a real nats-server", () => {
  it("publishes a plan of 600 claims resubmitted every 5 ms: each once, at most MAX_CLAIMS_IN_FLIGHT waiting", async () => {
    const claimer = new Claimer(jetstream(nc), "node1", 1, pino({ level: "silent" }));
    const plan = planOf(64, 600);
    let maxPending = 0;
    const started = Date.now();
    while (claimer.results.won + claimer.results.lost + claimer.results.failed < plan.length && Date.now() - started < 60_000) {
      claimer.submit(plan); // the view has not applied any of them: the plan still names them all
      maxPending = Math.max(maxPending, claimer.pending);
      await new Promise((r) => setTimeout(r, 5));
    }
    expect(claimer.results).toEqual({ won: 600, lost: 0, failed: 0 });
    expect(maxPending).toBeLessThanOrEqual(MAX_CLAIMS_IN_FLIGHT);
    expect(maxPending).toBeGreaterThan(1);
    expect(await claimsStored(plan.map((c) => c.vip))).toBe(600);
  }, 90_000);

  it("an empty plan (fenced, leaving) stops the claims not yet published", async () => {
    const claimer = new Claimer(jetstream(nc), "node1", 1, pino({ level: "silent" }));
    const plan = planOf(128, 500);
    claimer.submit(plan);
    claimer.submit([]);
    const started = Date.now();
    while (claimer.pending > 0 && Date.now() - started < 30_000) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    expect(claimer.results.won).toBe(MAX_CLAIMS_IN_FLIGHT);
    expect(await claimsStored(plan.map((c) => c.vip))).toBe(MAX_CLAIMS_IN_FLIGHT);
  }, 60_000);
});
