// The peer core (session FSM + Adj-RIB-Out): the full table and End-of-RIB on Established, incremental UPDATEs on the
// live session, nothing sent while down, a fresh full table after a reconnect, ROUTE-REFRESH answered.
import { describe, expect, it } from "vitest";
import { desiredRoutes } from "../../src/protocols/bgp/adjRibOut.js";
import type { Capability } from "../../src/protocols/bgp/capabilities.js";
import { endOfRibAfi, type UpdateMessage } from "../../src/protocols/bgp/update.js";
import { initialPeer, stepPeer, type PeerInput, type PeerState } from "../../src/protocols/bgp/peer.js";
import type { SessionAction, SessionConfig } from "../../src/protocols/bgp/sessionTypes.js";
import { deriveTimers } from "../../src/protocols/bgp/timers.js";

const session: SessionConfig = {
  localAsn: 64512,
  peerAsn: 64513,
  routerId: "198.18.0.10",
  timers: deriveTimers({}),
  connectTimeoutMs: 10_000,
  families: { ipv4: true, ipv6: true },
  stableAfterMs: 30_000,
};
const peerOpen = (...extra: Capability[]): PeerInput => ({
  type: "message",
  message: { type: "open", asn: 64513, holdTime: 90, bgpId: "198.18.0.1", capabilities: [
    { kind: "multiprotocol", afi: 1, safi: 1 }, { kind: "multiprotocol", afi: 2, safi: 1 }, { kind: "routeRefresh" }, { kind: "fourOctetAs", asn: 64513 }, ...extra,
  ] },
});
const PEER_OPEN = peerOpen();
const KA: PeerInput = { type: "message", message: { type: "keepalive" } };

const sentUpdates = (actions: readonly SessionAction[]): UpdateMessage[] =>
  actions.flatMap((a) => (a.type === "send" && a.message.type === "update" ? [a.message] : []));
const announced = (updates: UpdateMessage[]): string[] => updates.flatMap((u) => [...u.nlri, ...(u.attributes.mpReach?.nlri ?? [])]);

function run(p: PeerState, inputs: Array<[number, PeerInput]>): { state: PeerState; actions: SessionAction[] } {
  const actions: SessionAction[] = [];
  for (const [at, input] of inputs) {
    const r = stepPeer(p, input, at);
    actions.push(...r.actions);
    p = r.state;
  }
  return { state: p, actions };
}

const DESIRED = desiredRoutes([
  ["198.18.0.200/32", { communities: ["65000:1"] }],
  ["198.18.0.201/32", { communities: ["65000:1"] }],
  ["2001:db8::200/128", {}],
]);

function established(desired = DESIRED): { state: PeerState; actions: SessionAction[] } {
  return run(initialPeer({ session, nextHops: { ipv6: "2001:db8::10" } }, desired), [
    [0, { type: "start" }],
    [5, { type: "tcpConnected", localAddress: "198.18.0.10" }],
    [10, PEER_OPEN],
    [20, KA],
  ]);
}

describe("BGP peer core", () => {
  it("sends the whole table, then End-of-RIB for IPv4 and IPv6, when the session becomes Established", () => {
    const { state, actions } = established();
    const updates = sentUpdates(actions);
    expect(announced(updates).sort()).toEqual(["198.18.0.200/32", "198.18.0.201/32", "2001:db8::200/128"]);
    expect(updates.slice(-2).map(endOfRibAfi)).toEqual([1, 2]);
    expect(updates[0]!.attributes.nextHop).toBe("198.18.0.10");
    expect(updates[1]!.attributes.mpReach?.nextHop).toBe("2001:db8::10");
    expect(actions.findIndex((a) => a.type === "established")).toBeLessThan(actions.findIndex((a) => a.type === "send" && a.message.type === "update"));
    expect(state.ribOut.sent.size).toBe(3);
    expect(state.session.counters.updatesSent).toBe(4);
  });

  it("a change on the live session goes out as an incremental UPDATE, never a reset", () => {
    const { state } = established();
    const next = desiredRoutes([["198.18.0.200/32", { communities: ["65000:1"] }], ["198.18.0.202/32", { communities: ["65000:1"] }], ["2001:db8::200/128", {}]]);
    const r = stepPeer(state, { type: "setRoutes", routes: next }, 1000);
    expect(r.actions.map((a) => a.type)).toEqual(["send", "send", "setTimer"]);
    expect(sentUpdates(r.actions)).toEqual([
      { type: "update", withdrawn: ["198.18.0.201/32"], attributes: {}, nlri: [] },
      { type: "update", withdrawn: [], nlri: ["198.18.0.202/32"], attributes: { origin: "igp", asPath: [{ type: "sequence", asns: [64512] }], nextHop: "198.18.0.10", communities: ["65000:1"] } },
    ]);
    expect(r.state.session.state).toBe("established");
    expect(stepPeer(r.state, { type: "setRoutes", routes: next }, 1001).actions).toEqual([]);
  });

  it("keeps routes set while down and sends them once Established", () => {
    let p = initialPeer({ session });
    p = stepPeer(p, { type: "setRoutes", routes: DESIRED }, 0).state;
    expect(p.desired).toBe(DESIRED);
    const r = run(p, [[1, { type: "start" }], [2, { type: "tcpConnected", localAddress: "198.18.0.10" }], [3, PEER_OPEN], [4, KA]]);
    expect(announced(sentUpdates(r.actions))).toEqual(["198.18.0.200/32", "198.18.0.201/32"]);
    expect(r.state.unsendable).toEqual(["2001:db8::200/128"]); // no IPv6 next hop on an IPv4 session
  });

  it("next hops given with the routes on a live session: the IPv6 routes of an IPv4 session go out, and move when the next hop does", () => {
    const p = run(initialPeer({ session }, DESIRED), [[0, { type: "start" }], [5, { type: "tcpConnected", localAddress: "198.18.0.10" }], [10, PEER_OPEN], [20, KA]]);
    expect(p.state.unsendable).toEqual(["2001:db8::200/128"]);
    const withHop = stepPeer(p.state, { type: "setRoutes", routes: DESIRED, nextHops: { ipv6: "2001:db8::10" } }, 100);
    expect(sentUpdates(withHop.actions).map((u) => [u.attributes.mpReach?.nextHop, u.attributes.mpReach?.nlri])).toEqual([["2001:db8::10", ["2001:db8::200/128"]]]);
    expect(withHop.state.unsendable).toEqual([]);
    const moved = stepPeer(withHop.state, { type: "setRoutes", routes: DESIRED, nextHops: { ipv6: "2001:db8::11" } }, 200);
    expect(sentUpdates(moved.actions).map((u) => u.attributes.mpReach?.nextHop)).toEqual(["2001:db8::11"]); // IPv4 routes unchanged: nothing for them
    const kept = stepPeer(moved.state, { type: "setRoutes", routes: DESIRED }, 300); // no nextHops: the last ones stay
    expect(kept.actions).toEqual([]);
    const gone = stepPeer(kept.state, { type: "setRoutes", routes: DESIRED, nextHops: {} }, 400);
    expect(sentUpdates(gone.actions)).toEqual([{ type: "update", withdrawn: [], attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: ["2001:db8::200/128"] } }, nlri: [] }]);
  });

  it("forgets the Adj-RIB-Out when the session drops and sends the full table again after reconnecting", () => {
    const { state } = established();
    const down = stepPeer(state, { type: "tcpClosed" }, 100);
    expect(down.state.ribOut.sent.size).toBe(0);
    const again = run(down.state, [[1100, { type: "tick" }], [1105, { type: "tcpConnected", localAddress: "198.18.0.10" }], [1110, PEER_OPEN], [1120, KA]]);
    expect(announced(sentUpdates(again.actions)).sort()).toEqual(["198.18.0.200/32", "198.18.0.201/32", "2001:db8::200/128"]);
  });

  it("answers a ROUTE-REFRESH with the family's routes", () => {
    const { state } = established();
    const r = stepPeer(state, { type: "message", message: { type: "routeRefresh", afi: 1, safi: 1, subtype: 0 } }, 500);
    expect(announced(sentUpdates(r.actions))).toEqual(["198.18.0.200/32", "198.18.0.201/32"]);
  });

  it("graceful restart helper: the router restarts (session lost, back with its R bit) and gets the whole table, then End-of-RIB", () => {
    const gr = { restartTime: 120, restarting: false, forwarding: false };
    const open = (restarting: boolean): PeerInput =>
      peerOpen({ kind: "gracefulRestart", restarting, notification: false, restartTime: 120, families: [{ afi: 1, safi: 1, forwarding: true }, { afi: 2, safi: 1, forwarding: true }] });
    const up = run(initialPeer({ session: { ...session, gracefulRestart: gr }, nextHops: { ipv6: "2001:db8::10" } }, DESIRED), [
      [0, { type: "start" }], [5, { type: "tcpConnected", localAddress: "198.18.0.10" }], [10, open(false)], [20, KA],
    ]);
    expect(up.state.session.negotiated?.gracefulRestart?.restarting).toBe(false);
    const again = run(up.state, [
      [100, { type: "tcpClosed" }], [1100, { type: "tick" }], [1105, { type: "tcpConnected", localAddress: "198.18.0.10" }], [1110, open(true)], [1120, KA],
    ]);
    expect(again.state.session.negotiated?.gracefulRestart?.restarting).toBe(true);
    const updates = sentUpdates(again.actions);
    expect(announced(updates).sort()).toEqual(["198.18.0.200/32", "198.18.0.201/32", "2001:db8::200/128"]);
    expect(updates.slice(-2).map(endOfRibAfi)).toEqual([1, 2]);
    // Our own OPEN on that reconnect: not restarting (this process never stopped), forwarding kept.
    const ours = again.actions.find((a) => a.type === "send" && a.message.type === "open");
    expect(ours?.type === "send" && ours.message.type === "open" && ours.message.capabilities.find((c) => c.kind === "gracefulRestart")).toMatchObject({ restarting: false, families: [{ forwarding: true }, { forwarding: true }] });
  });

  it("graceful shutdown then withdraw then stop: the sequence a draining node runs", () => {
    const { state } = established();
    const gshut = stepPeer(state, { type: "setRoutes", routes: new Map([...DESIRED].map(([p, r]) => [p, { ...r, communities: [...(r.communities ?? []), "65535:0"] }])) }, 1000);
    expect(sentUpdates(gshut.actions).every((u) => u.attributes.communities?.includes("65535:0"))).toBe(true);
    const withdraw = stepPeer(gshut.state, { type: "setRoutes", routes: new Map() }, 6000);
    expect(sentUpdates(withdraw.actions).flatMap((u) => [...u.withdrawn, ...(u.attributes.mpUnreach?.withdrawn ?? [])]).sort()).toEqual(["198.18.0.200/32", "198.18.0.201/32", "2001:db8::200/128"]);
    const stop = stepPeer(withdraw.state, { type: "stop" }, 6100);
    expect(stop.actions.find((a) => a.type === "send")).toMatchObject({ message: { type: "notification", code: 6, subcode: 2 } });
  });
});
