// The ARP transport and responder wiring against an in-memory packet socket (the real one is in test/lab).
import { describe, expect, it } from "vitest";
import { startArpResponder } from "../../src/adapters/arp/responder.js";
import type { ArpConflict } from "../../src/adapters/arp/responder.js";
import { openArpTransport } from "../../src/adapters/arp/transport.js";
import type { PacketSocket, PacketSocketError } from "../../src/adapters/packet/afpacket.js";
import { arpReply, decode, encode, gratuitousArp } from "../../src/protocols/arp/codec.js";
import type { ArpFrame } from "../../src/protocols/arp/codec.js";

const NODE_MAC = "0a:1b:2c:3d:4e:5f";
const PEER = "02:00:00:00:00:01";
const VIP = "198.18.0.200";

function fakeSocket() {
  let onFrame: ((frame: Uint8Array) => void) | undefined;
  let onError: ((err: PacketSocketError) => void) | undefined;
  const fake = {
    sent: [] as Uint8Array[],
    closeCalls: 0,
    failSends: undefined as PacketSocketError | undefined,
    deliver: (bytes: Uint8Array) => onFrame?.(bytes),
    fail: (err: PacketSocketError) => onError?.(err),
    socket: {
      ifname: "eth0",
      ifindex: 2,
      mac: NODE_MAC,
      hwType: 1,
      start: (f, e) => ((onFrame = f), (onError = e)),
      send: (bytes) => {
        if (fake.failSends) throw fake.failSends;
        fake.sent.push(bytes.slice());
        return bytes.length;
      },
      stats: () => ({ packets: 0, drops: 1 }),
      close: () => void fake.closeCalls++,
    } satisfies PacketSocket,
  };
  return fake;
}

const sockErr = (code: string): PacketSocketError => Object.assign(new Error(code), { code });
const request = (targetIp: string, sender = PEER): ArpFrame => ({
  ethDst: "ff:ff:ff:ff:ff:ff",
  ethSrc: sender,
  op: "request",
  senderMac: sender,
  senderIp: "198.18.0.1",
  targetMac: "00:00:00:00:00:00",
  targetIp,
});

describe("ArpTransport", () => {
  it("hands decoded frames to the handler and counts malformed ones by code without delivering them", () => {
    const fake = fakeSocket();
    const got: ArpFrame[] = [];
    const t = openArpTransport({ ifname: "eth0", onFrame: (f) => got.push(f), openSocket: () => fake.socket });
    const good = encode(request(VIP));
    const badOp = good.slice();
    badOp[21] = 9;
    fake.deliver(good);
    fake.deliver(badOp);
    fake.deliver(badOp);
    fake.deliver(good.subarray(0, 20));
    expect(got).toEqual([request(VIP)]);
    expect(t.counters).toMatchObject({ received: 4, malformed: { ARP_BAD_OP: 2, TRUNCATED: 1 } });
  });

  it("counts sends and send errors, rethrowing the socket error", () => {
    const fake = fakeSocket();
    const t = openArpTransport({ ifname: "eth0", onFrame: () => {}, openSocket: () => fake.socket });
    t.send(request(VIP));
    fake.failSends = sockErr("ENETDOWN");
    expect(() => t.send(request(VIP))).toThrow("ENETDOWN");
    expect(t.counters).toMatchObject({ sent: 1, sendErrors: 1 });
    expect(decode(fake.sent[0]!).value).toEqual(request(VIP));
  });

  it("sends `count` rounds of gratuitous ARP, each round request then reply", async () => {
    const fake = fakeSocket();
    const t = openArpTransport({ ifname: "eth0", onFrame: () => {}, openSocket: () => fake.socket });
    await expect(t.sendGratuitous(VIP, 2, { intervalMs: 0 })).resolves.toBe(4);
    const req = gratuitousArp(VIP, NODE_MAC, "request");
    const rep = gratuitousArp(VIP, NODE_MAC, "reply");
    expect(fake.sent.map((b) => decode(b).value)).toEqual([req, rep, req, rep]);
    await expect(t.sendGratuitous(VIP, 1, { forms: ["reply"] })).resolves.toBe(1);
    await expect(t.sendGratuitous(VIP, 3, { signal: AbortSignal.abort() })).rejects.toThrow();
    expect(fake.sent).toHaveLength(5);
  });

  it("counts and forwards receive errors", () => {
    const fake = fakeSocket();
    const errors: string[] = [];
    const t = openArpTransport({ ifname: "eth0", onFrame: () => {}, onError: (e) => errors.push(e.code), openSocket: () => fake.socket });
    fake.fail(sockErr("ENETDOWN"));
    expect(errors).toEqual(["ENETDOWN"]);
    expect(t.counters.receiveErrors).toBe(1);
  });

  it("closes once, keeps its counters readable, and refuses to send afterwards", () => {
    const fake = fakeSocket();
    const t = openArpTransport({ ifname: "eth0", onFrame: () => {}, openSocket: () => fake.socket });
    t.close();
    t.close();
    expect(fake.closeCalls).toBe(1);
    expect(t.isClosed).toBe(true);
    expect(t.counters.kernelDrops).toBe(1);
    expect(() => t.send(request(VIP))).toThrow(expect.objectContaining({ code: "ERR_ARP_TRANSPORT_CLOSED" }));
  });
});

describe("startArpResponder", () => {
  const answerForms = [
    { name: "a set", answerFor: new Set([VIP]) },
    { name: "a predicate", answerFor: (ip: string) => ip === VIP },
    { name: "a function returning the current set", answerFor: () => new Set([VIP]) },
  ];

  it.each(answerForms)("answers requests for VIPs given as $name, and only those", ({ answerFor }) => {
    const fake = fakeSocket();
    const r = startArpResponder({ ifname: "eth0", answerFor, interfaceAddresses: () => [], openSocket: () => fake.socket });
    fake.deliver(encode(request(VIP)));
    fake.deliver(encode(request("198.18.0.201")));
    expect(fake.sent.map((b) => decode(b).value)).toEqual([arpReply(request(VIP), NODE_MAC)]);
    expect(r.stats).toEqual({ replies: 1, conflicts: 0, ignored: { "not-our-vip": 1 } });
  });

  it("leaves VIPs configured on the interface to the kernel", () => {
    const fake = fakeSocket();
    const r = startArpResponder({ ifname: "eth0", answerFor: new Set([VIP]), interfaceAddresses: () => [VIP], openSocket: () => fake.socket });
    fake.deliver(encode(request(VIP)));
    expect(fake.sent).toEqual([]);
    expect(r.stats.ignored).toEqual({ "kernel-address": 1 });
  });

  it("reports a conflict when another MAC announces our VIP, and sends nothing", () => {
    const fake = fakeSocket();
    const conflicts: ArpConflict[] = [];
    const r = startArpResponder({ ifname: "eth0", answerFor: new Set([VIP]), onConflict: (c) => conflicts.push(c), openSocket: () => fake.socket });
    fake.deliver(encode(gratuitousArp(VIP, PEER, "request")));
    expect(conflicts).toEqual([{ ifname: "eth0", vip: VIP, claimantMac: PEER, op: "request", gratuitous: true }]);
    expect(fake.sent).toEqual([]);
    expect(r.stats.conflicts).toBe(1);
  });

  it("survives a failing reply send (counted by the transport) and closes idempotently", () => {
    const fake = fakeSocket();
    const r = startArpResponder({ ifname: "eth0", answerFor: new Set([VIP]), interfaceAddresses: () => [], openSocket: () => fake.socket });
    fake.failSends = sockErr("ENOBUFS");
    fake.deliver(encode(request(VIP)));
    expect(r.transport.counters.sendErrors).toBe(1);
    expect(r.stats.replies).toBe(0);
    r.close();
    r.close();
    expect(fake.closeCalls).toBe(1);
  });
});
