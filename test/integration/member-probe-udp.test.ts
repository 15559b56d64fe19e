// The membership prober over real UDP sockets on loopback: watchers that probe each other judge nobody; a prober
// whose socket closes is suspected, probed through the others, and declared dead by each of its watchers; forged,
// replayed, unsolicited, misdirected and garbage datagrams are dropped and counted by reason; fencing and membership
// share one socket. An "attacker" socket plays a node or the network.
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { startMemberProber, type MemberProber, type WatchedTarget } from "../../src/adapters/probe/memberProber.js";
import { probeSigner } from "../../src/adapters/probe/probeAuth.js";
import { openProbeSocket } from "../../src/adapters/probe/probeSocket.js";
import { startProbeEndpoint } from "../../src/adapters/probe/udpProbe.js";
import type { ProbeAnswer } from "../../src/protocols/fence/probeCodec.js";
import { parseProbeKeys } from "../../src/protocols/fence/probeKeys.js";
import type { JudgedVerdict } from "../../src/protocols/membership/judge.js";
import { decodeMember, encodeMember, type MemberMessage } from "../../src/protocols/membership/memberCodec.js";
import { memoryLogger } from "../support/memoryLog.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secret = (fill: number): Buffer => Buffer.alloc(32, fill);
const KEYS = parseProbeKeys(`1 ${secret(1).toString("base64")}`, "test");
const LOCAL = "127.0.0.1";
const INC = 1_000;

type Peer = { node: string; prober: MemberProber; verdicts: JudgedVerdict[] };
const opened: { close: () => unknown }[] = [];

async function peer(node: string, reachesLog: () => boolean = () => true): Promise<Peer> {
  const verdicts: JudgedVerdict[] = [];
  const prober = await startMemberProber({ node, incarnation: INC, port: 0, keys: () => KEYS, reachesLog, log: memoryLogger().log });
  prober.onVerdict((v) => verdicts.push(v));
  opened.push({ close: () => prober.stop() });
  return { node, prober, verdicts };
}

const target = (p: Peer): WatchedTarget => ({ node: p.node, address: LOCAL, port: p.prober.port, incarnation: INC });

/** A socket on the wire: sends what it is told to, and keeps every datagram it receives. */
async function attacker(): Promise<{ socket: Socket; port: number; got: Buffer[]; send: (b: Uint8Array, port: number) => Promise<void> }> {
  const socket = createSocket("udp4");
  const got: Buffer[] = [];
  socket.on("message", (m) => got.push(m));
  await new Promise<void>((r) => socket.bind(0, LOCAL, r));
  opened.push({ close: () => socket.close() });
  const send = (b: Uint8Array, port: number): Promise<void> => new Promise((r, j) => socket.send(b, port, LOCAL, (err) => (err ? j(err) : r())));
  return { socket, port: socket.address().port, got, send };
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const signed = (m: MemberMessage, keyId = 1, fill = 1): Uint8Array => encodeMember(m, keyId, probeSigner(secret(fill)));
const dropped = (p: MemberProber): Record<string, number> => Object.fromEntries(Object.entries(p.counters.dropped).filter(([, n]) => n > 0));

afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

describe("membership probes over UDP on loopback", () => {
  it("four watchers judge nobody while all answer; one whose socket closes is declared dead by each of the others", async () => {
    const peers = [await peer("n1"), await peer("n2"), await peer("n3"), await peer("n4")];
    for (const p of peers) p.prober.setWatched(peers.filter((q) => q !== p).map(target));
    await sleep(600);
    expect(peers.flatMap((p) => p.verdicts)).toEqual([]);
    expect(peers.every((p) => p.prober.counters.acksReceived >= 3 * 5)).toBe(true);

    const [n1, n2, n3, n4] = peers as [Peer, Peer, Peer, Peer];
    const stoppedAt = Date.now();
    await n4.prober.stop();
    for (const p of [n1, n2, n3]) await until(`${p.node}'s death verdict`, () => p.verdicts.find((v) => v.kind === "NodeDeclaredDead"));
    for (const p of [n1, n2, n3]) {
      expect(p.verdicts.map((v) => [v.kind, v.target, v.incarnation])).toEqual([["NodeSuspected", "n4", INC], ["NodeDeclaredDead", "n4", INC]]);
      const dead = p.verdicts[1]?.evidence;
      expect(dead?.lastReplyAt).toBeLessThanOrEqual(stoppedAt);
      expect(dead?.probes).toBeGreaterThanOrEqual(3);
      // Two relays were asked, both answered "no reply" (the relays are alive; the target is not).
      expect(dead?.indirect).toHaveLength(2);
      expect(dead?.indirect.every((i) => !i.replied && i.via !== "n4" && i.via !== p.node)).toBe(true);
      // Two relays per round; a watcher slowed by the machine's load may have asked again (its round went stale).
      expect(p.prober.counters.indirectSent % 2).toBe(0);
      // The relays' "no reply" may come after the watcher's own timeout (a loaded machine); it still comes.
      await until(`${p.node}'s relayed answers`, () => (p.prober.counters.indirectAnswers >= 2 ? true : undefined));
      expect(dropped(p.prober)).toEqual({});
    }
    // Every relayed answer came from a relay that pinged n4 for its asker.
    const sum = (f: (p: Peer) => number): number => [n1, n2, n3].map(f).reduce((x, y) => x + y);
    expect(sum((p) => p.prober.counters.relayed)).toBeGreaterThanOrEqual(sum((p) => p.prober.counters.indirectAnswers));
    expect(n1.prober.counters.verdicts).toEqual({ NodeSuspected: 1, NodeDeclaredDead: 1 });
  });

  it("a node that answers but no longer reaches the log (fenced) is declared dead by its watchers; they keep answering", async () => {
    let n3ReachesLog = true;
    const peers = [await peer("n1"), await peer("n2"), await peer("n3", () => n3ReachesLog)];
    const [n1, n2, n3] = peers as [Peer, Peer, Peer];
    for (const p of peers) p.prober.setWatched(peers.filter((q) => q !== p).map(target));
    await sleep(400);
    n3ReachesLog = false;
    for (const p of [n1, n2]) await until(`${p.node}'s death verdict`, () => p.verdicts.find((v) => v.kind === "NodeDeclaredDead"));
    for (const p of [n1, n2]) {
      expect(p.verdicts.filter((v) => v.kind === "NodeDeclaredDead").map((v) => v.target)).toEqual(["n3"]);
      expect(p.verdicts.find((v) => v.kind === "NodeDeclaredDead")?.evidence.indirect).toEqual([{ via: p === n1 ? "n2" : "n1", replied: false }]);
    }
    expect(n3.prober.counters.pingsAnswered).toBeGreaterThan(10);
    expect(n3.verdicts).toEqual([]);
  });

  it("a node the watcher cannot reach but the relays can is suspected once and never declared dead", async () => {
    const peers = [await peer("n1"), await peer("n2"), await peer("n3"), await peer("n4")];
    const [n1, n2, n3, n4] = peers as [Peer, Peer, Peer, Peer];
    // Everyone reaches n2 through a "network" socket that drops what n1 sends it and forwards the rest both ways.
    const net = await attacker();
    const portOf = new Map(peers.map((p) => [p.node, p.prober.port]));
    net.socket.on("message", (bytes, from) => {
      const m = decodeMember(bytes).value.message;
      if (from.port === n2.prober.port) void net.send(bytes, portOf.get(m.to) ?? 0);
      else if (m.from !== "n1") void net.send(bytes, n2.prober.port);
    });
    const viaNet = (p: Peer): WatchedTarget => (p === n2 ? { ...target(n2), port: net.port } : target(p));
    for (const p of peers) p.prober.setWatched(peers.filter((q) => q !== p).map(viaNet));
    await sleep(2_000);
    expect(n1.verdicts.map((v) => [v.kind, v.target])).toEqual([["NodeSuspected", "n2"]]);
    expect(n1.verdicts[0]?.evidence.indirect.map((i) => i.via).sort()).toEqual(["n3", "n4"]);
    expect([n2, n3, n4].flatMap((p) => p.verdicts)).toEqual([]);
    // n1 kept asking; n3 and n4 kept reaching n2 and said so.
    expect(n1.prober.counters.indirectAnswers).toBeGreaterThanOrEqual(4);
    expect(n3.prober.counters.relayed + n4.prober.counters.relayed).toBeGreaterThanOrEqual(4);
    for (const p of peers) expect(dropped(p.prober)).toEqual({});
  });

  it("a forged, an unknown-key, a misdirected and a garbage datagram are dropped unanswered and counted", async () => {
    const [b, evil] = [await peer("n2"), await attacker()];
    const ping = { t: "ping", from: "n1", to: "n2", incarnation: INC, nonce: 1 } as const;
    await evil.send(signed(ping, 1, 0x66), b.prober.port);
    await evil.send(signed(ping, 9, 1), b.prober.port);
    await evil.send(signed({ ...ping, to: "n3" }), b.prober.port);
    await evil.send(new Uint8Array([2, 3, 0]), b.prober.port);
    await evil.send(new Uint8Array([2, 1, 0, 1]), b.prober.port); // a fencing type on a socket without fencing
    await until("five drops", () => (Object.values(b.prober.counters.dropped).reduce((x, y) => x + y) === 5 ? true : undefined));
    await sleep(50);
    expect(dropped(b.prober)).toEqual({ "bad-tag": 1, "unknown-key": 1, misdirected: 1, malformed: 2 });
    expect(evil.got).toEqual([]);
    expect(b.prober.counters.pingsAnswered).toBe(0);
  });

  it("a genuine ping is acked once with this node's incarnation, health and log reach; its replay is dropped", async () => {
    const [b, evil] = [await peer("n2"), await attacker()];
    const ping = signed({ t: "ping", from: "n1", to: "n2", incarnation: INC, nonce: 5 });
    await evil.send(ping, b.prober.port);
    const ack = decodeMember(await until("the ack", () => evil.got[0])).value.message;
    expect(ack).toMatchObject({ t: "ack", from: "n2", to: "n1", incarnation: INC, nonce: 5, targetIncarnation: INC, reachesLog: true });
    await evil.send(ping, b.prober.port);
    await until("the replay dropped", () => (b.prober.counters.dropped.replay === 1 ? true : undefined));
    await sleep(50);
    expect(evil.got).toHaveLength(1);
    expect(b.prober.counters.pingsAnswered).toBe(1);
  });

  it("acks to pings never sent, or from a node not pinged, or replayed, are dropped; they keep nobody alive", async () => {
    const [a, evil] = [await peer("n1"), await attacker()];
    // n1 watches "n2" at the attacker's socket: it sees n1's pings and answers some of them, with the real key.
    a.prober.setWatched([{ node: "n2", address: LOCAL, port: evil.port, incarnation: 7 }]);
    const ping = decodeMember(await until("n1's ping", () => evil.got[0])).value.message;
    const ack = { t: "ack", from: "n2", to: "n1", incarnation: INC, nonce: ping.nonce, targetIncarnation: 7, health: 0, reachesLog: true } as const;
    await evil.send(signed({ ...ack, nonce: 999_999 }), a.prober.port);
    await evil.send(signed({ ...ack, from: "n3" }), a.prober.port);
    await evil.send(signed({ ...ack, incarnation: INC - 1 }), a.prober.port);
    await evil.send(signed(ack), a.prober.port);
    await evil.send(signed(ack), a.prober.port);
    await until("four drops", () => (Object.values(a.prober.counters.dropped).reduce((x, y) => x + y) === 4 ? true : undefined));
    expect(dropped(a.prober)).toEqual({ unsolicited: 3, replay: 1 });
    expect(a.prober.counters.acksReceived).toBe(1);
    // One genuine ack, then silence: n2 is still declared dead.
    const dead = await until("the death verdict", () => a.verdicts.find((v) => v.kind === "NodeDeclaredDead"));
    expect(dead).toMatchObject({ target: "n2", incarnation: 7, evidence: { indirect: [] } });
    expect(dead.evidence.lastReplyAt).not.toBeNull();
  });

  it("fencing and membership share one socket: each answers its own probes, garbage goes to fencing's malformed count", async () => {
    const { log } = memoryLogger();
    const socket = await openProbeSocket(0, log);
    opened.push(socket);
    const fence = await startProbeEndpoint({ node: "n2", incarnation: INC, port: 0, socket, keys: () => KEYS, log, answerFor: () => ({ logAgeMs: 3, askerSilentMs: 40 }), onAnswer: () => undefined });
    const member = await startMemberProber({ node: "n2", incarnation: INC, socket, keys: () => KEYS, reachesLog: () => true, log });
    opened.push(fence, { close: () => member.stop() });
    expect(fence.port).toBe(socket.port);
    expect(member.port).toBe(socket.port);

    const answers: ProbeAnswer[] = [];
    const asker = await startProbeEndpoint({ node: "n1", incarnation: INC, port: 0, keys: () => KEYS, log, answerFor: () => ({ logAgeMs: 0, askerSilentMs: 0 }), onAnswer: (a) => answers.push(a) });
    opened.push(asker);
    const watcher = await peer("n1");
    watcher.prober.setWatched([{ node: "n2", address: LOCAL, port: socket.port, incarnation: INC }]);
    asker.send(1, [{ node: "n2", address: LOCAL, port: socket.port }]);
    await until("the fencing answer", () => answers[0]);
    await until("membership acks", () => (watcher.prober.counters.acksReceived >= 3 ? true : undefined));

    const evil = await attacker();
    await evil.send(new Uint8Array([2, 9, 0, 1]), socket.port);
    await until("the garbage dropped", () => (fence.counters.dropped.malformed === 1 ? true : undefined));
    expect(dropped(member)).toEqual({});
    expect(fence.counters.probesAnswered).toBe(1);
    expect(member.counters.pingsAnswered).toBeGreaterThanOrEqual(3);
    expect(watcher.verdicts).toEqual([]);
  });

  it("a peer at a port or address nothing can be sent to is a send error, not the end of the speaker", async () => {
    const { log } = memoryLogger();
    const asker = await startProbeEndpoint({ node: "n1", incarnation: INC, port: 0, keys: () => KEYS, log, answerFor: () => ({ logAgeMs: 0, askerSilentMs: 0 }), onAnswer: () => undefined });
    opened.push(asker);
    // Port 0: what a peer started with --probe-port 0 is asked at (dgram throws for it instead of calling back).
    asker.send(1, [{ node: "n2", address: LOCAL, port: 0 }, { node: "n3", address: LOCAL, port: 70_000 }]);
    await until("both sends counted as errors", () => (asker.counters.sendErrors === 2 ? true : undefined));
    expect(asker.counters.probesSent).toBe(2);
  });

  it("refuses settings that cannot work, naming the field, before opening a socket", async () => {
    await expect(startMemberProber({ node: "n1", incarnation: INC, port: 0, keys: () => KEYS, reachesLog: () => true, log: memoryLogger().log, settings: { deadAfterMs: 100 } })).rejects.toThrow(/deadAfterMs/);
  });
});
