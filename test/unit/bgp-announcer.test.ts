import { afterEach, describe, expect, it, vi } from "vitest";
import { createBgpAnnouncer, type BgpSessionHandle } from "../../src/agents/speaker/bgpAnnouncer.js";
import type { BgpSessionPlan } from "../../src/agents/speaker/bgpSession.js";
import type { BgpPeerConfig } from "../../src/config/types.js";
import type { BgpPlan } from "../../src/projections/bgp/bgpPlan.js";
import type { DesiredRoutes, RouteAttributes } from "../../src/protocols/bgp/adjRibOut.js";
import type { NextHops } from "../../src/protocols/bgp/peer.js";
import type { OtherFamilyNextHop } from "../../src/projections/bgp/nextHop.js";

// The speaker's BGP effects: one session per planned peer, route changes on the live session, a new session only
// when the session itself changes, and graceful shutdown (GRACEFUL_SHUTDOWN, wait, withdraw, Cease) on close.

type Call = { peer: string; op: "open" | "start" | "setRoutes" | "stop" | "abandon"; routes?: string[]; at?: number; nextHops?: NextHops; cease?: { subcode?: number; message?: string } };

/** Next hops only when some are set, so calls without them compare as before. */
const hops = (n: NextHops | undefined): { nextHops?: NextHops } => (n === undefined || Object.keys(n).length === 0 ? {} : { nextHops: n });

function fakes(calls: Call[], established = true, gracefulRestart = false, unsendable: string[] = []) {
  return (name: string, s: BgpSessionPlan, routes: DesiredRoutes): BgpSessionHandle => {
    calls.push({ peer: name, op: "open", routes: [...routes.keys()], ...hops(s.peer.nextHops) });
    const ribOut = { sent: new Map<string, string>() };
    return {
      start: () => void calls.push({ peer: name, op: "start" }),
      setRoutes: (r, n) => void calls.push({ peer: name, op: "setRoutes", routes: [...r].map(([p, a]) => `${p}${a.communities ? ` ${a.communities.join(",")}` : ""}`), at: Date.now(), ...hops(n) }),
      stop: async (cease) => void calls.push({ peer: name, op: "stop", at: Date.now(), ...(cease === undefined ? {} : { cease }) }),
      abandon: async () => void calls.push({ peer: name, op: "abandon" }),
      state: {
        session: { state: established ? "established" : "active", counters: { establishedCount: 1, updatesSent: 0 }, negotiated: gracefulRestart ? { gracefulRestart: { restartTime: 120 } } : {} },
        ribOut,
        unsendable,
      } as unknown as BgpSessionHandle["state"],
    };
  };
}

const peer = (name: string, over: Partial<BgpPeerConfig> = {}): BgpPeerConfig => ({
  name, myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null,
  holdTimeMs: null, keepaliveTimeMs: null, connectTimeMs: null, password: null, ebgpMultiHop: false, nodeSelectors: [],
  enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null, ...over,
});

const plan = (...entries: [BgpPeerConfig, [string, RouteAttributes][]][]): BgpPlan => new Map(entries.map(([p, r]) => [p.name, { peer: p, routes: new Map(r) }]));
/** A dual-stack peer's plan with the other family's next hop (or its problem). */
const dualPlan = (otherFamily: OtherFamilyNextHop, routes: [string, RouteAttributes][]): BgpPlan =>
  new Map([["ds", { peer: peer("ds", { dualStackAddressFamily: true }), routes: new Map(routes), otherFamily }]]);
const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
const defaults = { routerId: "198.18.0.1", restartTimeS: 120 };

describe("BGP announcer", () => {
  afterEach(() => vi.useRealTimers());

  it("opens one session per peer and sends route changes on it, never reopening for a route change", () => {
    const calls: Call[] = [];
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log, openSession: fakes(calls) });
    a.update(plan([peer("r1"), [["198.18.8.1/32", {}]]], [peer("r2"), []]));
    a.update(plan([peer("r1"), [["198.18.8.1/32", {}]]], [peer("r2"), []]));
    a.update(plan([peer("r1"), [["198.18.8.1/32", { communities: ["1:2"] }], ["198.18.8.2/32", {}]]], [peer("r2"), []]));
    expect(calls).toEqual([
      { peer: "r1", op: "open", routes: ["198.18.8.1/32"] },
      { peer: "r1", op: "start" },
      { peer: "r2", op: "open", routes: [] },
      { peer: "r2", op: "start" },
      { peer: "r1", op: "setRoutes", routes: ["198.18.8.1/32 1:2", "198.18.8.2/32"], at: expect.any(Number) },
    ]);
  });

  it("replaces a session whose BGPPeer changed and closes one no longer planned", () => {
    const calls: Call[] = [];
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log, openSession: fakes(calls) });
    a.update(plan([peer("r1"), []], [peer("r2"), []]));
    calls.length = 0;
    a.update(plan([peer("r1", { holdTimeMs: 9000 }), []]));
    expect(calls.map((c) => `${c.peer} ${c.op}`)).toEqual(["r2 setRoutes", "r2 stop", "r1 setRoutes", "r1 stop", "r1 open", "r1 start"]);
  });

  it("close: GRACEFUL_SHUTDOWN, wait, withdraw, Cease; later updates are ignored", async () => {
    const calls: Call[] = [];
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 200, log, openSession: fakes(calls) });
    a.update(plan([peer("r1"), [["198.18.8.1/32", {}]]]));
    calls.length = 0;
    await a.close();
    a.update(plan([peer("r1"), [["198.18.8.9/32", {}]]]));
    expect(calls.map((c) => [c.op, c.routes])).toEqual([
      ["setRoutes", ["198.18.8.1/32 65535:0"]],
      ["setRoutes", []],
      ["stop", undefined],
    ]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(190);
  });

  it("close for a restart in place drops graceful-restart sessions without a NOTIFICATION, routes kept", async () => {
    const calls: Call[] = [];
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log, openSession: fakes(calls, true, true) });
    a.update(plan([peer("r1"), [["198.18.8.1/32", {}]]]));
    calls.length = 0;
    await a.close({ restart: true });
    expect(calls.map((c) => c.op)).toEqual(["abandon"]);
  });

  it("a restart in place still shuts down gracefully where the peer has no graceful restart", async () => {
    const calls: Call[] = [];
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log, openSession: fakes(calls, true, false) });
    a.update(plan([peer("r1"), [["198.18.8.1/32", {}]]]));
    calls.length = 0;
    await a.close({ restart: true });
    expect(calls.map((c) => c.op)).toEqual(["setRoutes", "setRoutes", "stop"]);
  });

  it("after a restart in place, the first session to each peer carries R and F; later sessions do not", () => {
    const opened: string[] = [];
    const open = fakes([]);
    const a = createBgpAnnouncer({
      defaults, shutdownWaitMs: 0, log,
      openSession: (name, s, routes) => {
        const gr = s.peer.session.gracefulRestart;
        opened.push(`${name} ${gr ? `R=${Number(gr.restarting)} F=${Number(gr.forwarding)} for ${gr.restartingForMs ?? "-"}` : "no GR"}`);
        return open(name, s, routes);
      },
    });
    const T = 1_700_000_000_000;
    const decision = a.begin({ kind: "restarting", incarnation: 1, graceMs: 10_000, at: T }, { incarnation: 2, now: T + 3_000 });
    expect(decision).toMatchObject({ restarting: true, forwarding: true, remainingMs: 117_000 });
    const gr = { enableGracefulRestart: true };
    a.update(plan([peer("r1", gr), [["198.18.8.1/32", {}]]], [peer("r2"), []]));
    a.update(plan([peer("r1", gr), [["198.18.8.2/32", {}]]], [peer("r2"), []], [peer("r3", gr), []])); // R/F are not part of r1's identity
    a.update(plan([peer("r1", { ...gr, holdTimeMs: 9000 }), []], [peer("r2"), []], [peer("r3", gr), []]));
    expect(opened).toEqual(["r1 R=1 F=1 for 117000", "r2 no GR", "r3 R=0 F=0 for -", "r1 R=0 F=0 for -"]);
  });

  it("a fresh start (the last stop was a leave) opens sessions with R=0 and F=0", () => {
    const opened: string[] = [];
    const open = fakes([]);
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log, openSession: (name, s, routes) => (opened.push(JSON.stringify(s.peer.session.gracefulRestart)), open(name, s, routes)) });
    expect(a.begin({ kind: "left", incarnation: 1, at: 5 }, { incarnation: 2, now: 10 }).restarting).toBe(false);
    a.update(plan([peer("r1", { enableGracefulRestart: true }), []]));
    expect(opened).toEqual([JSON.stringify({ restartTime: 120, restarting: false, forwarding: false })]);
  });

  it("close: the Cease carries the RFC 9003 shutdown communication, \"vipmesh: node draining\" unless a reason is given", async () => {
    for (const [reason, message] of [[undefined, "vipmesh: node draining"], ["vipmesh: speaker restarting in place", "vipmesh: speaker restarting in place"]] as const) {
      const calls: Call[] = [];
      const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log, openSession: fakes(calls) });
      a.update(plan([peer("r1"), [["198.18.8.1/32", {}]]], [peer("r2"), []]));
      await a.close(reason === undefined ? {} : { reason });
      expect(calls.filter((c) => c.op === "stop").map((c) => [c.peer, c.cease])).toEqual([["r1", { subcode: 2, message }], ["r2", { subcode: 2, message }]]);
    }
  });

  it("counts UPDATEs and NOTIFICATIONs per BGPPeer across the sessions that replace one another, and forgets a removed peer", async () => {
    const sessions: { updatesSent: number; notificationsSentByCode: Record<string, number>; notificationsReceivedByCode: Record<string, number> }[] = [];
    const open = (): BgpSessionHandle => {
      const counters = { establishedCount: 1, updatesSent: 0, notificationsSentByCode: {} as Record<string, number>, notificationsReceivedByCode: {} as Record<string, number> };
      sessions.push(counters);
      return {
        start: () => undefined, setRoutes: () => undefined, abandon: async () => undefined,
        stop: async (cease) => void (counters.notificationsSentByCode[`6/${cease?.subcode ?? 2}`] = 1),
        state: { session: { state: "established", counters }, ribOut: { sent: new Map() }, unsendable: [] } as unknown as BgpSessionHandle["state"],
      };
    };
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log, openSession: open });
    a.update(plan([peer("r1"), []]));
    Object.assign(sessions[0] ?? {}, { updatesSent: 5, notificationsReceivedByCode: { "6/2": 1 } });
    a.update(plan([peer("r1", { holdTimeMs: 9000 }), []]));
    Object.assign(sessions[1] ?? {}, { updatesSent: 2 });
    await new Promise((r) => setTimeout(r, 0));
    const r1 = a.stats?.().peers["r1"];
    expect(r1?.updatesSent).toBe(7);
    expect(r1?.notifications).toEqual({ sent: { "6/4": 1 }, received: { "6/2": 1 } });
    a.update(plan([peer("r2"), []]));
    a.update(plan([peer("r1", { holdTimeMs: 9000 }), []]));
    expect(a.stats?.().peers["r1"]?.updatesSent).toBe(0);
  });

  it("a replaced session ends with Administrative Reset and why; a removed BGPPeer with Peer De-configured", () => {
    const calls: Call[] = [];
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log, openSession: fakes(calls) });
    a.update(plan([peer("r1"), []], [peer("r2"), []]));
    a.update(plan([peer("r1", { holdTimeMs: 9000 }), []]));
    expect(calls.filter((c) => c.op === "stop").map((c) => [c.peer, c.cease])).toEqual([
      ["r2", { subcode: 3 }],
      ["r1", { subcode: 4, message: "vipmesh: BGPPeer r1 changed, reconnecting" }],
    ]);
  });

  it("dualStackAddressFamily: the session opens with the other family's next hop, which then changes on the live session", () => {
    const calls: Call[] = [];
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log, openSession: fakes(calls) });
    const routes: [string, RouteAttributes][] = [["198.18.8.1/32", {}], ["2001:db8:8::5/128", {}]];
    a.update(dualPlan({ family: 6, address: "2001:db8::11", interface: "eth0" }, routes));
    a.update(dualPlan({ family: 6, address: "2001:db8::11", interface: "eth0" }, routes)); // same: nothing
    a.update(dualPlan({ family: 6, address: "2001:db8::12", interface: "eth0" }, routes));
    expect(calls.map(({ at: _at, ...c }) => c)).toEqual([
      { peer: "ds", op: "open", routes: ["198.18.8.1/32", "2001:db8:8::5/128"], nextHops: { ipv6: "2001:db8::11" } },
      { peer: "ds", op: "start" },
      { peer: "ds", op: "setRoutes", routes: ["198.18.8.1/32", "2001:db8:8::5/128"], nextHops: { ipv6: "2001:db8::12" } },
    ]);
  });

  it("dualStackAddressFamily without an address of the other family: logged once with the reason, counted in stats", () => {
    const warnings: Array<[object, string]> = [];
    const infos: string[] = [];
    const a = createBgpAnnouncer({
      defaults, shutdownWaitMs: 0, log: { ...log, warn: (f, m) => void warnings.push([f, m]), info: (_f, m) => void infos.push(m) },
      openSession: fakes([], true, false, ["2001:db8:8::5/128"]),
    });
    const problem = "node node1 has no global IPv6 address on an up interface to use as the IPv6 next hop";
    const routes: [string, RouteAttributes][] = [["198.18.8.1/32", {}], ["2001:db8:8::5/128", {}]];
    a.update(dualPlan({ family: 6, problem }, routes));
    a.update(dualPlan({ family: 6, problem }, [...routes, ["2001:db8:8::6/128", {}]]));
    expect(warnings).toEqual([[{ peer: "ds", reason: problem, routes: 1 }, "bgp: routes of the other address family not sent"]]);
    expect(a.stats?.().peers["ds"]).toMatchObject({ unsendable: 1, unsendableReason: problem });
    a.update(dualPlan({ family: 6, problem }, [["198.18.8.1/32", {}]])); // no IPv6 route left: nothing to report
    a.update(dualPlan({ family: 6, address: "2001:db8::11", interface: "eth0" }, routes));
    expect(warnings).toHaveLength(1);
    expect(infos.filter((m) => m.includes("other address family"))).toEqual(["bgp: routes of the other address family can be sent again"]);
  });

  it("a peer the timer rules reject is reported and skipped", () => {
    const calls: Call[] = [];
    const errors: string[] = [];
    const a = createBgpAnnouncer({ defaults, shutdownWaitMs: 0, log: { ...log, error: (_f, m) => void errors.push(m) }, openSession: fakes(calls) });
    a.update(plan([peer("bad", { holdTimeMs: 1000 }), []]));
    expect(calls).toEqual([]);
    expect(errors).toEqual(["bgp: peer not usable"]);
  });
});
