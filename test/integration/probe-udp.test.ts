// The fencing probes' UDP adapter over real sockets on loopback: genuine probes are answered; a forged probe (wrong
// key, unknown key id), a replayed probe and answer, an answer to a probe never sent, a probe for another node and
// garbage are each dropped, counted by reason and logged. An "attacker" socket relays and replays what it captures.
import { createSocket, type Socket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { probeSigner } from "../../src/adapters/probe/probeAuth.js";
import { startProbeEndpoint, type ProbeEndpoint } from "../../src/adapters/probe/udpProbe.js";
import { encodeProbe, type ProbeAnswer, type ProbeMessage } from "../../src/protocols/fence/probeCodec.js";
import { INSECURE_PROBE_KEYRING, parseProbeKeys, type ProbeKeyring } from "../../src/protocols/fence/probeKeys.js";
import { memoryLogger } from "../support/memoryLog.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const secret = (fill: number): Buffer => Buffer.alloc(32, fill);
const keyLine = (id: number, fill: number): string => `${id} ${secret(fill).toString("base64")}`;
const KEYS = parseProbeKeys(keyLine(1, 1), "test");
const LOCAL = "127.0.0.1";

type Peer = { endpoint: ProbeEndpoint; answers: ProbeAnswer[]; lines: () => Record<string, unknown>[] };
const opened: { close: () => unknown }[] = [];

async function peer(node: string, keys: () => ProbeKeyring = () => KEYS, incarnation = 1_000): Promise<Peer> {
  const answers: ProbeAnswer[] = [];
  const { log, lines } = memoryLogger();
  const endpoint = await startProbeEndpoint({ node, incarnation, port: 0, keys, log, answerFor: () => ({ logAgeMs: 4.6, askerSilentMs: 250 }), onAnswer: (a) => answers.push(a) });
  opened.push(endpoint);
  return { endpoint, answers, lines };
}

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

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const signed = (m: ProbeMessage, keyId: number, fill: number): Uint8Array => encodeProbe(m, keyId, probeSigner(secret(fill)));
const dropped = (p: Peer): Record<string, number> => Object.fromEntries(Object.entries(p.endpoint.counters.dropped).filter(([, n]) => n > 0));
const warned = (p: Peer): unknown[] => p.lines().filter((l) => l["msg"] === "fencing probe dropped").map((l) => l["reason"]);

afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
});

describe("fencing probes over UDP on loopback", () => {
  it("a genuine probe is answered, and the answer reaches the asker's fencing", async () => {
    const [a, b] = [await peer("n1"), await peer("n2")];
    a.endpoint.send(1, [{ node: "n2", address: LOCAL, port: b.endpoint.port }]);
    const answer = await until("an answer", () => a.answers[0]);
    expect(answer).toEqual({ t: "answer", from: "n2", to: "n1", incarnation: 1_000, nonce: 1, logAgeMs: 5, askerSilentMs: 250 });
    expect(b.endpoint.counters.probesAnswered).toBe(1);
    expect([dropped(a), dropped(b)]).toEqual([{}, {}]);
  });

  it("a probe forged with the wrong key or an unknown key id is dropped unanswered, counted and logged", async () => {
    const [b, evil] = [await peer("n2"), await attacker()];
    const probe = { t: "probe", from: "n1", to: "n2", incarnation: 1_000, nonce: 1 } as const;
    await evil.send(signed(probe, 1, 0x66), b.endpoint.port);
    await evil.send(signed(probe, 9, 1), b.endpoint.port);
    await until("two drops", () => (b.endpoint.counters.dropped["bad-tag"] + b.endpoint.counters.dropped["unknown-key"] === 2 ? true : undefined));
    await sleep(50);
    expect(evil.got).toEqual([]);
    expect(b.endpoint.counters.probesAnswered).toBe(0);
    expect(dropped(b)).toEqual({ "bad-tag": 1, "unknown-key": 1 });
    expect(warned(b)).toEqual(["bad-tag", "unknown-key"]);
    expect(b.lines().find((l) => l["reason"] === "unknown-key")?.["detail"]).toMatch(/key id 9; this speaker accepts key ids 1/);
  });

  it("a captured probe and its answer, replayed, are each dropped as replays; the genuine ones went through once", async () => {
    const [a, b, relay] = [await peer("n1"), await peer("n2"), await attacker()];
    // A believes n2 is at the relay's port: the relay forwards the probe to B and B's answer back to A, keeping copies.
    a.endpoint.send(7, [{ node: "n2", address: LOCAL, port: relay.port }]);
    const probe = await until("the captured probe", () => relay.got[0]);
    await relay.send(probe, b.endpoint.port);
    const answer = await until("the captured answer", () => relay.got[1]);
    await relay.send(answer, a.endpoint.port);
    await until("A's answer", () => a.answers[0]);
    await relay.send(probe, b.endpoint.port);
    await relay.send(answer, a.endpoint.port);
    await until("both replays dropped", () => (b.endpoint.counters.dropped.replay === 1 && a.endpoint.counters.dropped.replay === 1 ? true : undefined));
    await sleep(50);
    expect(relay.got.length).toBe(2); // no answer to the replayed probe
    expect(a.answers.length).toBe(1);
    expect(b.endpoint.counters.probesAnswered).toBe(1);
    expect([warned(a), warned(b)]).toEqual([["replay"], ["replay"]]);
  });

  it("an answer to a probe never sent, or to a previous incarnation's probe, is dropped as unsolicited", async () => {
    const [a, evil] = [await peer("n1", () => KEYS, 2_000), await attacker()];
    const answer = { t: "answer", from: "n2", to: "n1", incarnation: 2_000, nonce: 1, logAgeMs: 1, askerSilentMs: 10_000 } as const;
    // Signed with the real key, as a captured answer of an earlier run would be: still not an answer to anything asked.
    await evil.send(signed(answer, 1, 1), a.endpoint.port);
    await evil.send(signed({ ...answer, incarnation: 1_000 }, 1, 1), a.endpoint.port);
    a.endpoint.send(1, [{ node: "n3", address: LOCAL, port: evil.port }]);
    await evil.send(signed(answer, 1, 1), a.endpoint.port); // nonce 1 was asked of n3, not n2
    await until("three drops", () => (a.endpoint.counters.dropped.unsolicited === 3 ? true : undefined));
    expect(a.answers).toEqual([]);
    expect(dropped(a)).toEqual({ unsolicited: 3 });
  });

  it("a genuine probe for another node, and garbage, are dropped as misdirected and malformed", async () => {
    const [b, evil] = [await peer("n2"), await attacker()];
    await evil.send(signed({ t: "probe", from: "n1", to: "n3", incarnation: 1_000, nonce: 1 }, 1, 1), b.endpoint.port);
    await evil.send(new TextEncoder().encode('{"v":1,"t":"probe","from":"n1","nonce":1}'), b.endpoint.port);
    await evil.send(new Uint8Array([2, 1, 0]), b.endpoint.port);
    await until("three drops", () => (Object.values(b.endpoint.counters.dropped).reduce((x, y) => x + y) === 3 ? true : undefined));
    expect(dropped(b)).toEqual({ misdirected: 1, malformed: 2 });
    expect(evil.got).toEqual([]);
  });

  it("during a rotation an answer signed with the new key is taken by a speaker that accepts both", async () => {
    const rotating = parseProbeKeys(`${keyLine(2, 2)}\n${keyLine(1, 1)}`, "test");
    const [a, b] = [await peer("n1"), await peer("n2", () => rotating)];
    a.endpoint.send(1, [{ node: "n2", address: LOCAL, port: b.endpoint.port }]);
    await sleep(100);
    // A (key 1 only) cannot check B's answer signed with key 2: dropped as unknown key, never taken.
    expect(a.answers).toEqual([]);
    expect(dropped(a)).toEqual({ "unknown-key": 1 });
    const [a2] = [await peer("n1", () => parseProbeKeys(`${keyLine(1, 1)}\n${keyLine(2, 2)}`, "test"), 3_000)];
    a2.endpoint.send(1, [{ node: "n2", address: LOCAL, port: b.endpoint.port }]);
    expect((await until("an answer", () => a2.answers[0])).from).toBe("n2");
  });

  it("speakers with --insecure-probes talk to each other, and a keyed speaker drops them as an unknown key", async () => {
    const [a, b, keyed] = [await peer("n1", () => INSECURE_PROBE_KEYRING), await peer("n2", () => INSECURE_PROBE_KEYRING), await peer("n3")];
    a.endpoint.send(1, [{ node: "n2", address: LOCAL, port: b.endpoint.port }, { node: "n3", address: LOCAL, port: keyed.endpoint.port }]);
    await until("n2's answer", () => a.answers[0]);
    await until("n3's drop", () => (keyed.endpoint.counters.dropped["unknown-key"] === 1 ? true : undefined));
    expect(a.answers.map((x) => x.from)).toEqual(["n2"]);
  });
});
