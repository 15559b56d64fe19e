import { createSocket } from "node:dgram";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../../adapters/nats/connect.js";
import { eventsStreamConfig, DEFAULT_STREAM_SETTINGS } from "../../adapters/nats/streams.js";
import { probeSigner } from "../../adapters/probe/probeAuth.js";
import { encodeEvent } from "../../events/codec.js";
import { subjects } from "../../events/subjects.js";
import type { ClaimEvidence, DomainEvent } from "../../events/types.js";
import { encodeProbe } from "../../protocols/fence/probeCodec.js";
import { PROBE_KEY, VIP, type AttackTarget } from "./attackTarget.js";

// Every attack the `attacks` benchmark and its integration test try, and how each was stopped: by the NATS server
// (authentication, a permission, a compare-and-set, a size limit), by the projection every agent runs (identity,
// term, validation), or by the fencing probes' guard. Nothing may be accepted.

export type Outcome = "refused_by_server" | "refused_by_projection" | "refused_by_probe_guard" | "accepted";
export type AttemptResult = { outcome: Outcome; how: string };
export type Attack = { name: string; run: (t: AttackTarget) => Promise<AttemptResult> };

const short = (err: unknown): string => String((err as Error).message ?? err).replace(/\s+/g, " ").slice(0, 110);
const server = (how: string): AttemptResult => ({ outcome: "refused_by_server", how });
const evidence: ClaimEvidence = { previousOwner: "node1", previousOwnerStatus: "alive", previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: 0, eligibleNodes: 2 };

/** Runs `act`; a throw is the server's refusal. */
async function refusedBy(act: () => Promise<unknown>): Promise<AttemptResult> {
  try {
    await act();
    return { outcome: "accepted", how: "the server let it through" };
  } catch (err) {
    return server(short(err));
  }
}

type Counters = Record<string, number>;

async function counters(t: AttackTarget): Promise<Counters> {
  const { log, members } = await t.project();
  const meaning = Object.values((log as { refused?: Record<string, number> }).refused ?? {}).reduce((a, b) => a + b, 0);
  return {
    "identity (payload names another than the subject)": log.refusedIdentity + members.refusedIdentity,
    "invalid at the boundary": log.invalidEvents,
    "stale or future term": log.staleClaims,
    "allocation rules": log.ipam.rejected,
    "meaning (event rules)": meaning,
  };
}

/** Publishes; a refusal is the server's; a stored message is judged by what the projection counted. */
async function publishAndJudge(t: AttackTarget, user: string, subject: string, bytes: Uint8Array, expect?: { seq: number; chain: string }): Promise<AttemptResult> {
  const before = await counters(t);
  const js = await t.js(user);
  try {
    await js.publish(subject, bytes, { timeout: 3_000, ...(expect ? { expect: { lastSubjectSequence: expect.seq, lastSubjectSequenceSubject: expect.chain } } : {}) });
  } catch (err) {
    return server(short(err));
  }
  const after = await counters(t);
  const moved = Object.keys(after).find((k) => (after[k] ?? 0) > (before[k] ?? 0));
  return moved ? { outcome: "refused_by_projection", how: `stored, refused: ${moved}` } : { outcome: "accepted", how: "stored and applied" };
}

const event = (e: DomainEvent): Uint8Array => encodeEvent(e);
const beat = (node: string): DomainEvent => ({ type: "NodeHeartbeatRecorded", data: { node, incarnation: 1, beat: 1, ready: true, version: "attack", health: 0, interfaces: [] } });
const claim = (node: string, term: number): DomainEvent => ({ type: "VipClaimed", data: { vip: VIP, node, incarnation: 1, term, reason: "owner-dead", evidence } });
const allocation = (allocator: string): DomainEvent => ({
  type: "IpAllocated",
  data: { ip: "127.0.0.201", service: "default/evil", pool: "loopback", reason: "auto-assign", sharing: { key: null, backendKey: "", ports: [] }, lbClass: null, evidence: { allocator, configHash: null, observedSeq: 0 } },
});

async function chainHead(t: AttackTarget): Promise<{ seq: number; term: number }> {
  const record = (await t.project()).log.vips[VIP];
  return { seq: record?.subjectSeq ?? 0, term: record?.term ?? 0 };
}

async function probeDrops(t: AttackTarget, reason: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${t.metricsPort}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`vipmesh_probe_drops_total{reason="${reason}"}`));
  return Number(line?.split(" ").pop() ?? 0);
}

/** Sends `datagrams` to speaker node1's probe port and reports which drop counter moved. */
async function probeJudge(t: AttackTarget, datagrams: Uint8Array[], reasons: string[]): Promise<AttemptResult> {
  const before = await Promise.all(reasons.map((r) => probeDrops(t, r)));
  const socket = createSocket("udp4");
  for (const d of datagrams) await new Promise<void>((resolve) => socket.send(d, t.probePort, "127.0.0.1", () => resolve()));
  socket.close();
  for (let i = 0; i < 20; i++) {
    const after = await Promise.all(reasons.map((r) => probeDrops(t, r)));
    const moved = reasons.find((_, k) => (after[k] ?? 0) > (before[k] ?? 0));
    if (moved) return { outcome: "refused_by_probe_guard", how: `dropped: ${moved}` };
    await new Promise((r) => setTimeout(r, 100));
  }
  return { outcome: "accepted", how: "no drop counted" };
}

/** A deeply nested JSON value: what a parser that recursed without a bound would choke on. */
const nested = (depth: number): Uint8Array => new TextEncoder().encode(`{"type":"VipClaimed","v":1,"data":${"[".repeat(depth)}${"]".repeat(depth)}}`);

async function connectRefused(t: AttackTarget, security: Parameters<typeof connectNats>[0]["security"]): Promise<AttemptResult> {
  let nc: NatsConnection | null = null;
  try {
    nc = await connectNats({ servers: [t.server.url], ...(security ? { security } : {}), name: "attacker", pingIntervalMs: 2_000, giveUpAfterMs: 3_000 });
    return { outcome: "accepted", how: "connected" };
  } catch (err) {
    return server(short(err));
  } finally {
    await nc?.close();
  }
}

/** Connects to the auth callout's server as a speaker of `node` with `token` (none: no token); says why the controller refused it. */
async function calloutLoginRefused(t: AttackTarget, token: string | null, node: string): Promise<AttemptResult> {
  const before = t.callout.refusals().length;
  let nc: NatsConnection | null = null;
  try {
    nc = await connectNats({ servers: [t.callout.url], security: t.callout.speaker(token, node), name: "attacker", pingIntervalMs: 2_000, giveUpAfterMs: 5_000 });
    return { outcome: "accepted", how: "logged in" };
  } catch (err) {
    for (let i = 0; i < 40 && t.callout.refusals().length === before; i++) await new Promise((r) => setTimeout(r, 50));
    const why = t.callout.refusals()[before] ?? "no reason logged";
    const said = /Authorization Violation/i.test(String((err as Error).message)) ? "Authorization Violation" : short(err);
    return server(`${said} (controller: ${why})`);
  } finally {
    await nc?.close();
  }
}

/** Logs in with node1's own token, then does `act` with the connection; a throw is the server's refusal. */
async function asCalloutSpeaker(t: AttackTarget, act: (nc: NatsConnection) => Promise<unknown>): Promise<AttemptResult> {
  const nc = await connectNats({ servers: [t.callout.url], security: t.callout.speaker(await t.callout.token("speaker", "node1"), "node1"), name: "attacker-node1", pingIntervalMs: 2_000, giveUpAfterMs: 5_000 });
  try {
    return await refusedBy(() => act(nc));
  } finally {
    await nc.close();
  }
}

/** A subscription the server refuses closes with the violation; one still open after 3 s was let through. */
async function subscribeRefused(nc: NatsConnection, subject: string): Promise<void> {
  const closed = await Promise.race([nc.subscribe(subject).closed, new Promise((r) => setTimeout(() => r("open"), 3_000))]);
  if (closed === "open" || closed === undefined) return;
  throw closed instanceof Error ? closed : new Error(String(closed));
}

const CALLOUT_ATTACKS: readonly Attack[] = [
  { name: "callout: connect with no token", run: (t) => calloutLoginRefused(t, null, "node1") },
  { name: "callout: another ServiceAccount's token, bound to a Pod on node1", run: async (t) => calloutLoginRefused(t, await t.callout.token("other-service-account", "node1"), "node1") },
  { name: "callout: a speaker token for another audience", run: async (t) => calloutLoginRefused(t, await t.callout.token("other-audience", "node1"), "node1") },
  { name: "callout: a speaker token bound to no Pod (no node)", run: async (t) => calloutLoginRefused(t, await t.callout.token("unbound", "node1"), "node1") },
  { name: "callout: an expired speaker token (signed by the API server)", run: async (t) => calloutLoginRefused(t, await t.callout.token("expired", "node1"), "node1") },
  { name: "callout: a speaker token of a deleted Pod", run: async (t) => calloutLoginRefused(t, await t.callout.token("deleted-pod", "node1"), "node1") },
  { name: "callout: node1's token beats as node2", run: (t) => asCalloutSpeaker(t, (nc) => jetstream(nc).publish(subjects.heartbeat("node2"), event(beat("node2")), { timeout: 3_000 })) },
  { name: "callout: node1's token claims the VIP on node2's subject", run: (t) => asCalloutSpeaker(t, (nc) => jetstream(nc).publish(subjects.vipClaim(VIP, "node2"), event(claim("node2", 1)), { timeout: 3_000 })) },
  { name: "callout: node1's token reads the login requests (other speakers' tokens)", run: (t) => asCalloutSpeaker(t, (nc) => subscribeRefused(nc, "$SYS.REQ.USER.AUTH")) },
  { name: "callout: node1's token sends a login request of its own", run: (t) => asCalloutSpeaker(t, (nc) => nc.request("$SYS.REQ.USER.AUTH", new TextEncoder().encode("forged"), { timeout: 3_000 })) },
];

export const ATTACKS: readonly Attack[] = [
  { name: "anonymous connect, in plain text", run: (t) => connectRefused(t, undefined) },
  { name: "anonymous connect over TLS with a valid client certificate", run: (t) => connectRefused(t, { ...t.server.client("reader"), auth: null }) },
  {
    name: "connect as admin with a guessed password",
    run: (t) => {
      process.env["VIPMESH_ATTACK_GUESS"] = "admin";
      return connectRefused(t, { ...t.server.client("reader"), auth: { kind: "password", user: "admin", password: { env: "VIPMESH_ATTACK_GUESS" } } });
    },
  },
  { name: "speaker node2 beats as node1 (node1's subject)", run: (t) => publishAndJudge(t, "speaker-node2", subjects.heartbeat("node1"), event(beat("node1"))) },
  { name: "speaker node2 beats naming node1 on its own subject", run: (t) => publishAndJudge(t, "speaker-node2", subjects.heartbeat("node2"), event(beat("node1"))) },
  { name: "speaker node2 claims the VIP on node1's subject", run: async (t) => publishAndJudge(t, "speaker-node2", subjects.vipClaim(VIP, "node1"), event(claim("node1", (await chainHead(t)).term + 1))) },
  {
    name: "speaker node2 claims the VIP naming node1 (forged payload identity)",
    run: async (t) => {
      const head = await chainHead(t);
      return publishAndJudge(t, "speaker-node2", subjects.vipClaim(VIP, "node2"), event(claim("node1", head.term + 1)), { seq: head.seq, chain: subjects.vipChain(VIP) });
    },
  },
  {
    name: "speaker node2 claims the VIP with a future term",
    run: async (t) => {
      const head = await chainHead(t);
      return publishAndJudge(t, "speaker-node2", subjects.vipClaim(VIP, "node2"), event(claim("node2", head.term + 5)), { seq: head.seq, chain: subjects.vipChain(VIP) });
    },
  },
  { name: "speaker node2 claims the VIP expecting a stale chain position", run: async (t) => publishAndJudge(t, "speaker-node2", subjects.vipClaim(VIP, "node2"), event(claim("node2", (await chainHead(t)).term + 1)), { seq: 0, chain: subjects.vipChain(VIP) }) },
  { name: "speaker node2 publishes node1's NodeLeft (max incarnation) on node1's subject", run: (t) => publishAndJudge(t, "speaker-node2", subjects.nodeLifecycle("node1"), event({ type: "NodeLeft", data: { node: "node1", incarnation: Number.MAX_SAFE_INTEGER, reason: "drain" } })) },
  { name: "speaker node2 publishes a NodeLeft naming node1 (max incarnation) on its own subject", run: (t) => publishAndJudge(t, "speaker-node2", subjects.nodeLifecycle("node2"), event({ type: "NodeLeft", data: { node: "node1", incarnation: Number.MAX_SAFE_INTEGER, reason: "drain" } })) },
  { name: "speaker node2 allocates an IP", run: (t) => publishAndJudge(t, "speaker-node2", subjects.ipClaim("127.0.0.201", "node2"), event(allocation("node2"))) },
  { name: "speaker node2 publishes a configuration object (pool 0.0.0.0/0)", run: (t) => publishAndJudge(t, "speaker-node2", subjects.configObject("file", "pool", "all"), event({ type: "ConfigObjectChanged", data: { source: "file", name: "all", revision: "evil", epoch: { hash: "evil", after: 0, index: 0, count: 1 }, item: { kind: "pool", value: { name: "all", addresses: ["0.0.0.0/0"], autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null } } } })) },
  { name: "speaker node2 publishes a configuration (pool 0.0.0.0/0)", run: (t) => publishAndJudge(t, "speaker-node2", subjects.config("file"), new TextEncoder().encode(JSON.stringify({ type: "ConfigApplied", data: { source: "file", hash: "evil", config: { pools: [{ name: "all", addresses: ["0.0.0.0/0"] }] } } }))) },
  { name: "allocator a2 allocates as a1 (a1's subject)", run: (t) => publishAndJudge(t, "allocator-a2", subjects.ipClaim("127.0.0.201", "a1"), event(allocation("a1"))) },
  { name: "allocator a2 allocates naming a1 (forged payload identity)", run: (t) => publishAndJudge(t, "allocator-a2", subjects.ipClaim("127.0.0.201", "a2"), event(allocation("a1"))) },
  { name: "allocator a2 claims the VIP", run: async (t) => publishAndJudge(t, "allocator-a2", subjects.vipClaim(VIP, "a2"), event(claim("a2", (await chainHead(t)).term + 1))) },
  { name: "reader publishes a heartbeat", run: (t) => publishAndJudge(t, "reader", subjects.heartbeat("node1"), event(beat("node1"))) },
  { name: "reader sets EVENTS to keep one message", run: async (t) => refusedBy(async () => (await t.jsm("reader")).streams.update("EVENTS", { ...eventsStreamConfig(DEFAULT_STREAM_SETTINGS), max_msgs: 1 })) },
  { name: "speaker node2 purges EVENTS", run: async (t) => refusedBy(async () => (await t.jsm("speaker-node2")).streams.purge("EVENTS")) },
  { name: "allocator a2 deletes EVENTS", run: async (t) => refusedBy(async () => (await t.jsm("allocator-a2")).streams.delete("EVENTS")) },
  // Speakers start over with a HEARTBEATS made again (follow.ts); only the admin may make it again.
  { name: "speaker node2 deletes HEARTBEATS", run: async (t) => refusedBy(async () => (await t.jsm("speaker-node2")).streams.delete("HEARTBEATS")) },
  { name: "speaker node2 deletes the snapshot bucket", run: async (t) => refusedBy(async () => (await t.jsm("speaker-node2")).streams.delete("KV_vipmesh_snapshots")) },
  { name: "speaker node2 creates a stream shadowing vipmesh.ev.>", run: async (t) => refusedBy(async () => (await t.jsm("speaker-node2")).streams.add({ name: "SHADOW", subjects: ["vipmesh.ev.vip.>"] })) },
  { name: "speaker node2 overwrites the allocators' snapshot", run: async (t) => refusedBy(async () => (await t.js("speaker-node2")).publish("$KV.vipmesh_snapshots.allocator", new TextEncoder().encode('{"version":5,"seq":1}'), { timeout: 3_000 })) },
  { name: "reader overwrites the speakers' snapshot", run: async (t) => refusedBy(async () => (await t.js("reader")).publish("$KV.vipmesh_snapshots.speaker", new TextEncoder().encode('{"version":5,"seq":1}'), { timeout: 3_000 })) },
  {
    name: "speaker node2 reads allocator a1's replies (its inbox)",
    run: async (t) => {
      const sub = (await t.as("speaker-node2")).subscribe("_INBOX_allocator.a1.>");
      const closed = await Promise.race([sub.closed.then((e) => e ?? "closed"), new Promise((r) => setTimeout(() => r(null), 2_000))]);
      return closed ? server(short(closed)) : { outcome: "accepted", how: "subscribed" };
    },
  },
  { name: "speaker node2 publishes a 2 MiB event", run: (t) => publishAndJudge(t, "speaker-node2", subjects.heartbeat("node2"), new Uint8Array(2 * 1024 * 1024).fill(0x20)) },
  { name: "speaker node2 publishes an event nested 100,000 deep", run: async (t) => publishAndJudge(t, "speaker-node2", subjects.vipClaim(VIP, "node2"), nested(100_000), { seq: (await chainHead(t)).seq, chain: subjects.vipChain(VIP) }) },
  {
    name: "a forged fencing probe (a key node1 does not hold)",
    run: (t) => probeJudge(t, [encodeProbe({ t: "probe", from: "node2", to: "node1", incarnation: 1, nonce: 1 }, 1, probeSigner(Buffer.alloc(32, 1)))], ["bad-tag", "unknown-key"]),
  },
  {
    name: "a forged 'you are cut off' answer nobody asked for",
    run: (t) => probeJudge(t, [encodeProbe({ t: "answer", from: "node2", to: "node1", incarnation: 1, nonce: 77, logAgeMs: 60_000, askerSilentMs: 0 }, 1, probeSigner(PROBE_KEY))], ["unsolicited"]),
  },
  {
    name: "a replayed fencing probe",
    run: (t) => {
      const probe = encodeProbe({ t: "probe", from: "node2", to: "node1", incarnation: Date.now(), nonce: 5 }, 1, probeSigner(PROBE_KEY));
      return probeJudge(t, [probe, probe], ["replay"]);
    },
  },
  ...CALLOUT_ATTACKS,
];
