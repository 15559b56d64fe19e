// The BFD UDP adapter on loopback with real sockets: the in-kernel TTL floor of the native socket (GTSM: a single-hop
// socket takes only TTL / hop limit 255), and two endpoints bringing a session Up, detecting a silent peer (diag 1)
// and an AdminDown (diag 3), and the multihop floor per session (BFDProfile.minimumTtl). The interop test against FRR's
// bfdd is test/lab/bfd-frr.test.ts.
import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { BfdEndpoint } from "../../src/adapters/bfd/bfdEndpoint.js";
import type { BfdSessionDriver } from "../../src/adapters/bfd/bfdSession.js";
import { openBfdSocket } from "../../src/adapters/bfd/udpSocket.js";
import { encode } from "../../src/protocols/bfd/controlPacket.js";
import type { BfdTimerConfig } from "../../src/protocols/bfd/sessionTypes.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const TIMERS: BfdTimerConfig = { desiredMinTxUs: 50_000, requiredMinRxUs: 50_000, detectMult: 3, passive: false };

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function sendWithTtl(family: 4 | 6, address: string, port: number, ttl: number, payload: Uint8Array | string = `ttl${ttl}`, from?: string): Promise<void> {
  const tx = createSocket(family === 6 ? "udp6" : "udp4");
  await new Promise<void>((r) => (from === undefined ? tx.bind(0, r) : tx.bind(0, from, r)));
  tx.setTTL(ttl);
  await new Promise<void>((r, j) => tx.send(payload, port, address, (err) => (err ? j(err) : r())));
  tx.close();
}

describe("BFD socket TTL floor (native/bfdsock.c)", () => {
  it.each([
    [4, "127.0.0.1"],
    [6, "::1"],
  ] as const)("IPv%i: a socket with floor 255 receives only datagrams sent with 255", async (family, address) => {
    const socket = await openBfdSocket({ family, address, port: 0, ttl: 255, minTtl: 255 });
    const got: string[] = [];
    socket.on("message", (m) => got.push(m.toString()));
    const port = socket.address().port;
    for (const ttl of [64, 254, 255]) await sendWithTtl(family, address, port, ttl);
    await until("the TTL-255 datagram", () => (got.length > 0 ? true : undefined));
    await sleep(100);
    socket.close();
    expect(got).toEqual(["ttl255"]);
  });

  it("a floor of 0 takes any TTL (the control for the case above)", async () => {
    const socket = await openBfdSocket({ family: 4, address: "127.0.0.1", port: 0, ttl: 0, minTtl: 0 });
    const got: string[] = [];
    socket.on("message", (m) => got.push(m.toString()));
    await sendWithTtl(4, "127.0.0.1", socket.address().port, 64);
    await until("the datagram", () => (got.length > 0 ? true : undefined));
    socket.close();
    expect(got).toEqual(["ttl64"]);
  });
});

describe("two BFD endpoints on loopback", () => {
  const endpoints: BfdEndpoint[] = [];
  afterEach(async () => {
    await Promise.all(endpoints.splice(0).map((e) => e.close()));
  });

  async function pair(): Promise<{ a: BfdSessionDriver; b: BfdSessionDriver; endA: BfdEndpoint; endB: BfdEndpoint }> {
    const endA = new BfdEndpoint({ singleHopPort: 23784 });
    const endB = new BfdEndpoint({ singleHopPort: 33784 });
    endpoints.push(endA, endB);
    const a = await endA.addPeer({ peerAddress: "127.0.0.2", localAddress: "127.0.0.1", multihop: false, timers: TIMERS, peerPort: 33784 });
    const b = await endB.addPeer({ peerAddress: "127.0.0.1", localAddress: "127.0.0.2", multihop: false, timers: TIMERS, peerPort: 23784 });
    await until("both Up", () => (a.state.state === "up" && b.state.state === "up" ? true : undefined));
    await until("the poll sequences done", () => (!a.state.polling && !b.state.polling ? true : undefined));
    return { a, b, endA, endB };
  }

  it("come Up with the configured intervals, from source ports 49152-65535", async () => {
    const { a, b, endA } = await pair();
    expect(a.state.inEffect).toEqual({ desiredMinTxUs: 50_000, requiredMinRxUs: 50_000 });
    expect(a.state.remote).toMatchObject({ discriminator: b.state.config.localDiscriminator, desiredMinTxUs: 50_000, minRxUs: 50_000, detectMult: 3 });
    expect(endA.counters.malformed).toEqual({});
    for (const s of [a, b]) expect(s.sourcePort).toBeGreaterThanOrEqual(49152);
    await sleep(300);
    expect(a.state.state).toBe("up");
    expect(a.state.counters.packetsReceived).toBeGreaterThan(4);
  });

  it("a peer that goes silent is detected: Down with diag 1", async () => {
    const { a, b, endB } = await pair();
    await endB.removePeer(b);
    await until("a Down", () => (a.state.state === "down" ? true : undefined));
    expect(a.state.localDiag).toBe(1);
  });

  it("a peer that stops says AdminDown: Down with diag 3", async () => {
    const { a, b } = await pair();
    b.stop();
    await until("a Down", () => (a.state.state === "down" ? true : undefined));
    expect(a.state.localDiag).toBe(3);
    expect(b.state.state).toBe("adminDown");
  });

  it("counts a malformed packet and drops it", async () => {
    const { a, endA } = await pair();
    await sendWithTtl(4, "127.0.0.1", 23784, 255); // "ttl255": version 3, not BFD
    await until("the drop counted", () => (endA.counters.malformed["BFD_BAD_VERSION"] === 1 ? true : undefined));
    expect(a.state.state).toBe("up");
  });

  it("counts a packet for no session (unknown Your Discriminator, unknown source) and drops it", async () => {
    const { a, endA } = await pair();
    const stray = { diag: 0, state: "up" as const, poll: false, final: false, controlPlaneIndependent: false, demand: false, detectMult: 3, myDiscriminator: 5, yourDiscriminator: 12345, desiredMinTxUs: 1, requiredMinRxUs: 1, requiredMinEchoRxUs: 0 };
    await sendWithTtl(4, "127.0.0.1", 23784, 255, encode(stray));
    await sendWithTtl(4, "127.0.0.1", 23784, 255, encode({ ...stray, state: "down", yourDiscriminator: 0 }));
    await until("both drops counted", () => (endA.counters.unmatched["unknownDiscriminator"] === 1 && endA.counters.unmatched["noSessionForPeer"] === 1 ? true : undefined));
    expect(a.state.state).toBe("up");
  });
});

describe("multihop TTL floor per session (BFDProfile.minimumTtl) on loopback", () => {
  const PORT = 24784;
  const downFrom = (myDiscriminator: number): Uint8Array =>
    encode({ diag: 0, state: "down", poll: false, final: false, controlPlaneIndependent: false, demand: false, detectMult: 3, myDiscriminator, yourDiscriminator: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 300_000, requiredMinEchoRxUs: 0 });

  it("a packet at TTL 252 reaches the session whose floor is 250 and not the one whose floor is 254, until its floor is lowered", async () => {
    const end = new BfdEndpoint({ multihopPort: PORT });
    try {
      const lenient = await end.addPeer({ peerAddress: "127.0.0.2", localAddress: "127.0.0.1", multihop: true, timers: TIMERS, minimumTtl: 250, peerPort: 34784 });
      const strict = await end.addPeer({ peerAddress: "127.0.0.3", localAddress: "127.0.0.1", multihop: true, timers: TIMERS, minimumTtl: 254, peerPort: 34784 });
      await sendWithTtl(4, "127.0.0.1", PORT, 252, downFrom(7), "127.0.0.2");
      await sendWithTtl(4, "127.0.0.1", PORT, 252, downFrom(8), "127.0.0.3");
      await until("the lenient session heard its peer", () => (lenient.state.state === "init" ? true : undefined));
      await sleep(200);
      expect(strict.state.state).toBe("down");
      expect(strict.state.counters.packetsReceived).toBe(0);
      expect(end.counters.received).toBe(1); // dropped in the kernel, not in user space
      await end.setMinimumTtl(strict, 250);
      await sendWithTtl(4, "127.0.0.1", PORT, 252, downFrom(8), "127.0.0.3");
      await until("the strict session, lowered to 250, heard its peer", () => (strict.state.state === "init" ? true : undefined));
    } finally {
      await end.close();
    }
  });
});
