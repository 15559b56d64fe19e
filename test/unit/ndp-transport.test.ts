// The NDP transport, responder wiring, group membership and link against in-memory ports (the real ones: test/lab).
import { describe, expect, it } from "vitest";
import { SolicitedNodeGroups } from "../../src/adapters/ndp/multicastGroups.js";
import type { GroupMembership } from "../../src/adapters/ndp/multicastGroups.js";
import { startNdpResponder } from "../../src/adapters/ndp/responder.js";
import type { NdpConflict, NdpDadProbe } from "../../src/adapters/ndp/responder.js";
import { openNdpTransport, sendUnsolicited } from "../../src/adapters/ndp/transport.js";
import type { PacketSocket, PacketSocketError } from "../../src/adapters/packet/afpacket.js";
import { ndpLink } from "../../src/agents/speaker/ndpLink.js";
import { decode, encode } from "../../src/protocols/ndp/codec.js";
import type { NdpFrame } from "../../src/protocols/ndp/codec.js";
import { dadProbe, neighborSolicitation, solicitedAdvertisement, unsolicitedAdvertisement } from "../../src/protocols/ndp/messages.js";
import { pino } from "pino";

const NODE_MAC = "0a:1b:2c:3d:4e:5f";
const PEER = "02:00:00:00:00:01";
const OTHER = "02:00:00:00:00:02";
const VIP = "2001:db8:0:1::c8";

function fakeSocket() {
  let onFrame: ((frame: Uint8Array) => void) | undefined;
  let onError: ((err: PacketSocketError) => void) | undefined;
  const fake = {
    sent: [] as Uint8Array[],
    closeCalls: 0,
    failSends: undefined as PacketSocketError | undefined,
    deliver: (f: NdpFrame | Uint8Array) => onFrame?.(f instanceof Uint8Array ? f : encode(f)),
    fail: (err: PacketSocketError) => onError?.(err),
    frames: () => fake.sent.map((b) => decode(b).value),
    socket: {
      ifname: "eth0",
      ifindex: 7,
      mac: NODE_MAC,
      hwType: 1,
      start: (f, e) => ((onFrame = f), (onError = e)),
      send: (bytes) => {
        if (fake.failSends) throw fake.failSends;
        fake.sent.push(bytes.slice());
        return bytes.length;
      },
      stats: () => ({ packets: 0, drops: 0 }),
      close: () => void fake.closeCalls++,
    } satisfies PacketSocket,
  };
  return fake;
}

function fakeMembership(failJoin = false) {
  const log: string[] = [];
  const membership: GroupMembership = {
    join: (g) => {
      if (failJoin) throw new Error("EADDRINUSE");
      log.push(`join ${g}`);
    },
    leave: (g) => void log.push(`leave ${g}`),
    close: () => void log.push("close"),
  };
  return { log, membership };
}

const sockErr = (code: string): PacketSocketError => Object.assign(new Error(code), { code });
const ns = neighborSolicitation({ mac: PEER, ip: "fe80::1", target: VIP });
const unicastNs = neighborSolicitation({ mac: PEER, ip: "2001:db8:0:1::1", target: VIP, unicastTo: NODE_MAC });

describe("NDP transport", () => {
  it("hands valid frames to the handler and counts malformed ones by code without delivering them", () => {
    const fake = fakeSocket();
    const got: NdpFrame[] = [];
    const t = openNdpTransport({ ifname: "eth0", onFrame: (f) => got.push(f), openSocket: () => fake.socket });
    const good = encode(ns);
    const badHop = good.slice();
    badHop[21] = 64;
    const badSum = good.slice();
    badSum[57] = badSum[57]! ^ 1;
    for (const b of [good, badHop, badHop, badSum, good.subarray(0, 60)]) fake.deliver(b);
    expect(got).toEqual([ns]);
    expect(t.counters).toMatchObject({ received: 5, malformed: { NDP_BAD_HOP_LIMIT: 2, NDP_BAD_CHECKSUM: 1, LENGTH_OVERFLOW: 1 } });
  });

  it("sends unsolicited advertisements, counts send errors and refuses to send once closed", async () => {
    const fake = fakeSocket();
    const t = openNdpTransport({ ifname: "eth0", onFrame: () => {}, openSocket: () => fake.socket });
    await expect(sendUnsolicited(t, VIP, 2, { intervalMs: 0 })).resolves.toBe(2);
    expect(fake.frames()).toEqual([unsolicitedAdvertisement(VIP, NODE_MAC), unsolicitedAdvertisement(VIP, NODE_MAC)]);
    fake.failSends = sockErr("ENOBUFS");
    await expect(sendUnsolicited(t, VIP)).rejects.toThrow("ENOBUFS");
    fake.fail(sockErr("ENETDOWN"));
    expect(t.counters).toMatchObject({ sent: 2, sendErrors: 1, receiveErrors: 1 });
    t.close();
    t.close();
    expect(fake.closeCalls).toBe(1);
    expect(() => t.send(ns)).toThrow(expect.objectContaining({ code: "ERR_TRANSPORT_CLOSED" }));
  });
});

describe("startNdpResponder", () => {
  const start = (fake: ReturnType<typeof fakeSocket>, extra: { addresses?: string[] } = {}) => {
    const conflicts: NdpConflict[] = [];
    const probes: NdpDadProbe[] = [];
    const r = startNdpResponder({
      ifname: "eth0",
      answerFor: new Set([VIP]),
      interfaceAddresses: () => extra.addresses ?? [],
      onConflict: (c) => conflicts.push(c),
      onDadProbe: (p) => probes.push(p),
      openSocket: () => fake.socket,
    });
    return { r, conflicts, probes };
  };

  it("answers multicast and unicast solicitations for its VIPs, and only those", () => {
    const fake = fakeSocket();
    const { r } = start(fake);
    fake.deliver(ns);
    fake.deliver(unicastNs);
    fake.deliver(neighborSolicitation({ mac: PEER, ip: "fe80::1", target: "2001:db8:0:1::c9" }));
    expect(fake.frames()).toEqual([solicitedAdvertisement(ns, NODE_MAC), solicitedAdvertisement(unicastNs, NODE_MAC)]);
    expect(r.stats).toEqual({ replies: { multicast: 1, unicast: 1 }, conflicts: 0, dadProbes: 0, ignored: { "not-our-vip": 1 } });
  });

  it("reports a DAD probe and another MAC's advertisement, and sends nothing for either", () => {
    const fake = fakeSocket();
    const { r, conflicts, probes } = start(fake);
    fake.deliver(dadProbe(VIP, PEER));
    fake.deliver(unsolicitedAdvertisement(VIP, OTHER));
    expect(fake.sent).toEqual([]);
    expect(probes).toEqual([{ ifname: "eth0", vip: VIP, fromMac: PEER }]);
    expect(conflicts).toEqual([{ ifname: "eth0", vip: VIP, claimantMac: OTHER, message: "advertisement" }]);
    expect(r.stats).toMatchObject({ conflicts: 1, dadProbes: 1 });
  });

  it("leaves VIPs configured on the interface to the kernel and survives a failing send", () => {
    const fake = fakeSocket();
    const { r } = start(fake, { addresses: [VIP] });
    fake.deliver(ns);
    expect(r.stats.ignored).toEqual({ "kernel-address": 1 });
    const other = fakeSocket();
    const { r: r2 } = start(other);
    other.failSends = sockErr("ENETDOWN");
    other.deliver(ns);
    expect(r2.transport.counters.sendErrors).toBe(1);
    expect(r2.stats.replies).toEqual({ multicast: 0, unicast: 0 });
  });
});

describe("SolicitedNodeGroups", () => {
  it("joins a group with its first VIP and leaves it with its last", () => {
    const { log, membership } = fakeMembership();
    const groups = new SolicitedNodeGroups(membership);
    groups.add("2001:db8:0:1::c8");
    groups.add("2001:db8:0:2::c8"); // same low 24 bits: same group
    groups.add("2001:db8::1:2:3");
    expect(groups.groups).toEqual(["ff02::1:ff00:c8", "ff02::1:ff02:3"]);
    groups.remove("2001:db8:0:1::c8");
    groups.remove("2001:db8:0:1::c8"); // twice: no effect
    groups.remove("2001:db8:0:2::c8");
    groups.remove("2001:db8::99"); // never added
    groups.close();
    expect(log).toEqual(["join ff02::1:ff00:c8", "join ff02::1:ff02:3", "leave ff02::1:ff00:c8", "close"]);
  });

  it("holds nothing for a VIP whose join failed, so a later add tries again", () => {
    let fail = true;
    const joined: string[] = [];
    const groups = new SolicitedNodeGroups({
      join: (g) => {
        if (fail) throw new Error("ENOBUFS");
        joined.push(g);
      },
      leave: () => {},
      close: () => {},
    });
    expect(() => groups.add(VIP)).toThrow("ENOBUFS");
    expect(groups.groups).toEqual([]);
    fail = false;
    groups.add(VIP);
    expect(joined).toEqual(["ff02::1:ff00:c8"]);
  });
});

describe("ndpLink", () => {
  const log = pino({ level: "silent" });

  it("joins each VIP's group on the socket's interface, answers, announces, and counts", () => {
    const fake = fakeSocket();
    const { log: groupLog, membership } = fakeMembership();
    let ifindex = 0;
    const link = ndpLink(log, { openSocket: () => fake.socket, openMembership: (_i, idx) => ((ifindex = idx), membership) })("eth0", {
      conflict: () => {},
      dadProbe: () => {},
    });
    link.add(VIP);
    link.announce(VIP);
    fake.deliver(ns);
    expect(ifindex).toBe(7);
    expect(fake.frames()).toEqual([unsolicitedAdvertisement(VIP, NODE_MAC), solicitedAdvertisement(ns, NODE_MAC)]);
    expect(link.stats()).toMatchObject({ protocol: "ndp", ifname: "eth0", answering: 1, replies: 1, sent: 2, groups: 1, groupErrors: 0 });
    link.remove(VIP);
    link.close();
    expect(groupLog).toEqual(["join ff02::1:ff00:c8", "leave ff02::1:ff00:c8", "close"]);
    expect(fake.closeCalls).toBe(1);
  });

  it("answers even when the group cannot be joined, counting the failure", () => {
    const fake = fakeSocket();
    const { membership } = fakeMembership(true);
    const link = ndpLink(log, { openSocket: () => fake.socket, openMembership: () => membership })("eth0", { conflict: () => {}, dadProbe: () => {} });
    link.add(VIP);
    fake.deliver(ns);
    expect(link.stats()).toMatchObject({ answering: 1, replies: 1, groups: 0, groupErrors: 1 });
  });

  it("reports conflicts and DAD probes to the announcer", () => {
    const fake = fakeSocket();
    const events: string[] = [];
    const link = ndpLink(log, { openSocket: () => fake.socket, openMembership: () => fakeMembership().membership })("eth0", {
      conflict: (c) => events.push(`conflict ${c.vip} ${c.claimantMac} ${c.detail}`),
      dadProbe: (p) => events.push(`dad ${p.vip} ${p.fromMac}`),
    });
    link.add(VIP);
    fake.deliver(unsolicitedAdvertisement(VIP, OTHER));
    fake.deliver(dadProbe(VIP, PEER));
    expect(events).toEqual([`conflict ${VIP} ${OTHER} NDP advertisement`, `dad ${VIP} ${PEER}`]);
  });
});
