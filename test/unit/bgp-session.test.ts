// Scenario tests for the BGP session FSM, as data: each step is (time, input) -> the actions it produces (one line
// each, see `describe`) and the state it ends in. No real time passes.
import fc from "fast-check";
import { describe as suite, expect, it } from "vitest";
import type { Capability } from "../../src/protocols/bgp/capabilities.js";
import type { BgpMessage } from "../../src/protocols/bgp/message.js";
import { BgpDecodeError } from "../../src/protocols/bgp/notificationCodes.js";
import { initialSession, localOpen, stepSession } from "../../src/protocols/bgp/session.js";
import {
  messageOptions,
  nextDeadline,
  type SessionAction,
  type SessionConfig,
  type SessionInput,
  type SessionState,
  type SessionStateName,
} from "../../src/protocols/bgp/sessionTypes.js";
import { deriveTimers } from "../../src/protocols/bgp/timers.js";
import type { UpdateMessage } from "../../src/protocols/bgp/update.js";
import { toHex } from "../support/bgp.js";

const LOCAL_ASN = 64512;
const PEER_ASN = 64513;

const baseConfig: SessionConfig = {
  localAsn: LOCAL_ASN,
  peerAsn: PEER_ASN,
  routerId: "198.18.0.10",
  timers: deriveTimers({}),
  connectTimeoutMs: 10_000,
  families: { ipv4: true, ipv6: true },
  stableAfterMs: 30_000,
};

/** One line per action, so scenarios read like a log. */
function line(a: SessionAction): string {
  switch (a.type) {
    case "connect":
    case "close":
    case "established":
      return a.type;
    case "send": {
      const m = a.message;
      return m.type === "notification" ? `send NOTIFICATION ${m.code}/${m.subcode}` : `send ${m.type.toUpperCase()}`;
    }
    case "setTimer":
      return `set ${a.timer} @${a.at}`;
    case "clearTimer":
      return `clear ${a.timer}`;
    case "down": {
      const r = a.reason;
      const n = r.kind === "notificationSent" || r.kind === "notificationReceived" ? ` ${r.notification.code}/${r.notification.subcode}` : "";
      return `down ${r.kind}${n}${a.wasEstablished ? " (was established)" : ""}`;
    }
    case "routeRefreshRequested":
      return `refresh ${a.afi}/${a.safi}`;
    case "updateError":
      return `update error ${a.error.kind} (${a.error.handling})`;
  }
}

const peerCaps = (asn = PEER_ASN): Capability[] => [
  { kind: "multiprotocol", afi: 1, safi: 1 },
  { kind: "multiprotocol", afi: 2, safi: 1 },
  { kind: "routeRefresh" },
  { kind: "fourOctetAs", asn },
];
const OPEN = (o: Partial<Extract<BgpMessage, { type: "open" }>> = {}): SessionInput => ({
  type: "message",
  message: { type: "open", asn: PEER_ASN, holdTime: 90, bgpId: "198.18.0.1", capabilities: peerCaps(), ...o },
});
const KA: SessionInput = { type: "message", message: { type: "keepalive" } };
const NOTIFY = (code: number, subcode: number): SessionInput => ({ type: "message", message: { type: "notification", code, subcode, data: new Uint8Array(0) } });
const UPDATE: UpdateMessage = { type: "update", withdrawn: ["198.18.9.0/24"], attributes: { origin: "igp", asPath: [], nextHop: "198.18.0.1", mpReach: { afi: 2, safi: 1, nextHop: "2001:db8::1", nlri: ["2001:db8:1::/48"] } }, nlri: ["198.18.1.0/24", "198.18.2.0/24"] };
const START: SessionInput = { type: "start" };
const TICK: SessionInput = { type: "tick" };
const CONNECTED: SessionInput = { type: "tcpConnected" };
const FAILED: SessionInput = { type: "tcpFailed", detail: "ECONNREFUSED" };
const decodeError = (code: number, subcode: number): SessionInput => ({
  type: "decodeError",
  error: new BgpDecodeError({ code, subcode, data: new Uint8Array(0) }, 40, "malformed"),
});

interface Step {
  readonly at: number;
  readonly in: SessionInput;
  readonly out: readonly string[];
  readonly state?: SessionStateName;
  readonly jitter?: number;
}

/** Start at t=0, TCP up at 5, peer OPEN (hold 90) at 10, KEEPALIVE at 20: Established with hold 90 s. */
const ESTABLISH: readonly Step[] = [
  { at: 0, in: START, out: ["connect", "set connectRetry @10000"], state: "connect" },
  { at: 5, in: CONNECTED, out: ["send OPEN", "clear connectRetry", "set hold @240005"], state: "openSent" },
  { at: 10, in: OPEN(), out: ["send KEEPALIVE", "set hold @90010", "set keepalive @30010"], state: "openConfirm" },
  { at: 20, in: KA, out: ["established", "set hold @90020"], state: "established" },
];

function configWith(patch: Partial<SessionConfig>): SessionConfig {
  const { peerAsn: _drop, ...withoutPeer } = baseConfig;
  return patch.dynamicAsn === undefined ? { ...baseConfig, ...patch } : { ...withoutPeer, ...patch };
}

function play(steps: readonly Step[], config: Partial<SessionConfig> = {}, from?: SessionState): SessionState {
  let state = from ?? initialSession(configWith(config));
  for (const [i, s] of steps.entries()) {
    const r = stepSession(state, s.in, s.at, s.jitter ?? 0);
    expect(r.actions.map(line), `step ${i}: ${s.in.type} @${s.at}`).toEqual(s.out);
    if (s.state !== undefined) expect(r.state.state, `state after step ${i}`).toBe(s.state);
    state = r.state;
  }
  return state;
}

interface Scenario {
  readonly name: string;
  readonly config?: Partial<SessionConfig>;
  readonly steps: readonly Step[];
}

// prettier-ignore
const scenarios: readonly Scenario[] = [
  {
    name: "establishes, then keeps the session up with keepalives both ways",
    steps: [
      ...ESTABLISH,
      { at: 30010, in: TICK, out: ["send KEEPALIVE", "set keepalive @60010"], state: "established" },
      { at: 40000, in: KA, out: ["set hold @130000"] },
      { at: 60010, in: TICK, out: ["send KEEPALIVE", "set keepalive @90010"] },
    ],
  },
  {
    name: "negotiates the smaller hold time and keepalives at a third of it",
    steps: [
      ...ESTABLISH.slice(0, 2),
      { at: 10, in: OPEN({ holdTime: 9 }), out: ["send KEEPALIVE", "set hold @9010", "set keepalive @3010"], state: "openConfirm" },
      { at: 20, in: KA, out: ["established", "set hold @9020"] },
      { at: 3010, in: TICK, out: ["send KEEPALIVE", "set keepalive @6010"] },
    ],
  },
  {
    name: "hold time 0 on one side: no hold timer and no keepalives",
    steps: [
      ...ESTABLISH.slice(0, 2),
      { at: 10, in: OPEN({ holdTime: 0 }), out: ["send KEEPALIVE", "clear hold"], state: "openConfirm" },
      { at: 20, in: KA, out: ["established"] },
      { at: 10_000_000, in: TICK, out: [], state: "established" },
    ],
  },
  {
    name: "receive-side hold timer: a silent peer is dropped with 4/0 after the hold time",
    steps: [
      ...ESTABLISH.slice(0, 2),
      { at: 10, in: OPEN({ holdTime: 9 }), out: ["send KEEPALIVE", "set hold @9010", "set keepalive @3010"] },
      { at: 20, in: KA, out: ["established", "set hold @9020"] },
      { at: 3010, in: TICK, out: ["send KEEPALIVE", "set keepalive @6010"] },
      { at: 5000, in: KA, out: ["set hold @14000"] },
      { at: 9020, in: TICK, out: ["send KEEPALIVE", "set keepalive @12020"], state: "established" },
      { at: 14000, in: TICK, out: ["send KEEPALIVE", "send NOTIFICATION 4/0", "close", "down holdTimerExpired (was established)", "set connectRetry @15000", "clear hold", "clear keepalive"], state: "idle" },
      { at: 15000, in: TICK, out: ["connect", "set connectRetry @25000"], state: "connect" },
    ],
  },
  {
    name: "timers fire before the input: a KEEPALIVE processed after the hold deadline does not save the session",
    steps: [
      ...ESTABLISH,
      { at: 90020, in: KA, out: ["send KEEPALIVE", "send NOTIFICATION 4/0", "close", "down holdTimerExpired (was established)", "set connectRetry @91020", "clear hold", "clear keepalive"], state: "idle" },
    ],
  },
  {
    name: "the peer never sends its OPEN: 4-minute hold in OpenSent",
    steps: [
      ...ESTABLISH.slice(0, 2),
      { at: 240005, in: TICK, out: ["send NOTIFICATION 4/0", "close", "down holdTimerExpired", "set connectRetry @241005", "clear hold"], state: "idle" },
    ],
  },
  {
    name: "malformed UPDATE -> NOTIFICATION 3/x, then Idle and a reconnect after the backoff",
    steps: [
      ...ESTABLISH,
      { at: 100, in: decodeError(3, 11), out: ["send NOTIFICATION 3/11", "close", "down notificationSent 3/11 (was established)", "set connectRetry @1100", "clear hold", "clear keepalive"], state: "idle" },
      { at: 1100, in: TICK, out: ["connect", "set connectRetry @11100"], state: "connect" },
    ],
  },
  {
    name: "framing error (bad marker) -> 1/1",
    steps: [
      ...ESTABLISH,
      { at: 100, in: decodeError(1, 1), out: ["send NOTIFICATION 1/1", "close", "down notificationSent 1/1 (was established)", "set connectRetry @1100", "clear hold", "clear keepalive"], state: "idle" },
    ],
  },
  {
    name: "a malformed NOTIFICATION from the peer is not answered (RFC 4271 6.4)",
    steps: [
      ...ESTABLISH,
      { at: 100, in: { type: "decodeError", error: new BgpDecodeError(null, 0, "short") }, out: ["close", "down protocolError (was established)", "set connectRetry @1100", "clear hold", "clear keepalive"], state: "idle" },
    ],
  },
  {
    name: "connect-retry backoff doubles per failure up to the cap (1 s, 2 s, 4 s, 8 s, 8 s)",
    config: { timers: { ...deriveTimers({ connectTimeMs: 8000 }) } },
    steps: [
      { at: 0, in: START, out: ["connect", "set connectRetry @10000"] },
      { at: 100, in: FAILED, out: ["close", "set connectRetry @1100"], state: "active" },
      { at: 1100, in: TICK, out: ["connect", "set connectRetry @11100"], state: "connect" },
      { at: 1200, in: FAILED, out: ["close", "set connectRetry @3200"], state: "active" },
      { at: 3200, in: TICK, out: ["connect", "set connectRetry @13200"] },
      { at: 3300, in: FAILED, out: ["close", "set connectRetry @7300"] },
      { at: 7300, in: TICK, out: ["connect", "set connectRetry @17300"] },
      { at: 7400, in: FAILED, out: ["close", "set connectRetry @15400"] },
      { at: 15400, in: TICK, out: ["connect", "set connectRetry @25400"] },
      { at: 15500, in: FAILED, out: ["close", "set connectRetry @23500"], state: "active" },
    ],
  },
  {
    name: "jitter shortens a backoff by up to a quarter (r = 1 -> 0.75)",
    steps: [
      { at: 0, in: START, out: ["connect", "set connectRetry @10000"] },
      { at: 100, in: FAILED, jitter: 1, out: ["close", "set connectRetry @850"] },
      { at: 850, in: TICK, out: ["connect", "set connectRetry @10850"] },
      { at: 900, in: FAILED, jitter: 0.5, out: ["close", "set connectRetry @2650"] },
    ],
  },
  {
    name: "a connect attempt that hangs past the connect timeout counts as a failure",
    steps: [
      { at: 0, in: START, out: ["connect", "set connectRetry @10000"] },
      { at: 10000, in: TICK, out: ["close", "set connectRetry @11000"], state: "active" },
      { at: 11000, in: TICK, out: ["connect", "set connectRetry @21000"], state: "connect" },
    ],
  },
  {
    name: "the connection drops while waiting for the OPEN: Active, then reconnect",
    steps: [
      ...ESTABLISH.slice(0, 2),
      { at: 50, in: { type: "tcpClosed" }, out: ["close", "down connectionClosed", "set connectRetry @1050", "clear hold"], state: "active" },
    ],
  },
  {
    name: "the connection drops on an Established session",
    steps: [
      ...ESTABLISH,
      { at: 50, in: { type: "tcpClosed" }, out: ["close", "down connectionClosed (was established)", "set connectRetry @1050", "clear hold", "clear keepalive"], state: "idle" },
    ],
  },
  {
    name: "wrong peer AS -> 2/2 Bad Peer AS",
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN({ asn: 64999, capabilities: peerCaps(64999) }), out: ["send NOTIFICATION 2/2", "close", "down notificationSent 2/2", "set connectRetry @1010", "clear hold"], state: "idle" }],
  },
  {
    name: "My AS contradicting the 4-octet AS capability -> 2/2",
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN({ asn: 64513, capabilities: peerCaps(64514) }), out: ["send NOTIFICATION 2/2", "close", "down notificationSent 2/2", "set connectRetry @1010", "clear hold"] }],
  },
  {
    name: "AS_TRANS without the 4-octet AS capability -> 2/2",
    config: { peerAsn: 23456 },
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN({ asn: 23456, capabilities: [] }), out: ["send NOTIFICATION 2/2", "close", "down notificationSent 2/2", "set connectRetry @1010", "clear hold"] }],
  },
  {
    name: "a 4-octet peer ASN arrives through the capability with AS_TRANS in My AS",
    config: { peerAsn: 4200000001 },
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN({ asn: 23456, capabilities: peerCaps(4200000001) }), out: ["send KEEPALIVE", "set hold @90010", "set keepalive @30010"], state: "openConfirm" }],
  },
  {
    name: "hold time 2 -> 2/6 Unacceptable Hold Time",
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN({ holdTime: 2 }), out: ["send NOTIFICATION 2/6", "close", "down notificationSent 2/6", "set connectRetry @1010", "clear hold"] }],
  },
  {
    name: "BGP Identifier 0.0.0.0 -> 2/3",
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN({ bgpId: "0.0.0.0" }), out: ["send NOTIFICATION 2/3", "close", "down notificationSent 2/3", "set connectRetry @1010", "clear hold"] }],
  },
  {
    name: "iBGP peer with our own BGP Identifier -> 2/3",
    config: { peerAsn: LOCAL_ASN },
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN({ asn: LOCAL_ASN, capabilities: peerCaps(LOCAL_ASN), bgpId: "198.18.0.10" }), out: ["send NOTIFICATION 2/3", "close", "down notificationSent 2/3", "set connectRetry @1010", "clear hold"] }],
  },
  {
    name: "dynamicASN external accepts any other AS",
    config: { dynamicAsn: "external" },
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN({ asn: 65100, capabilities: peerCaps(65100) }), out: ["send KEEPALIVE", "set hold @90010", "set keepalive @30010"], state: "openConfirm" }],
  },
  {
    name: "dynamicASN external refuses our own AS",
    config: { dynamicAsn: "external" },
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN({ asn: LOCAL_ASN, capabilities: peerCaps(LOCAL_ASN) }), out: ["send NOTIFICATION 2/2", "close", "down notificationSent 2/2", "set connectRetry @1010", "clear hold"] }],
  },
  {
    name: "dynamicASN internal refuses another AS",
    config: { dynamicAsn: "internal" },
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: OPEN(), out: ["send NOTIFICATION 2/2", "close", "down notificationSent 2/2", "set connectRetry @1010", "clear hold"] }],
  },
  {
    name: "KEEPALIVE before the OPEN -> 5/1",
    steps: [...ESTABLISH.slice(0, 2), { at: 10, in: KA, out: ["send NOTIFICATION 5/1", "close", "down notificationSent 5/1", "set connectRetry @1010", "clear hold"] }],
  },
  {
    name: "UPDATE in OpenConfirm -> 5/2",
    steps: [...ESTABLISH.slice(0, 3), { at: 15, in: { type: "message", message: UPDATE }, out: ["send NOTIFICATION 5/2", "close", "down notificationSent 5/2", "set connectRetry @1015", "clear hold", "clear keepalive"] }],
  },
  {
    name: "OPEN on an Established session -> 5/3",
    steps: [...ESTABLISH, { at: 30, in: OPEN(), out: ["send NOTIFICATION 5/3", "close", "down notificationSent 5/3 (was established)", "set connectRetry @1030", "clear hold", "clear keepalive"] }],
  },
  {
    name: "NOTIFICATION from the peer: close without answering, reconnect later",
    steps: [...ESTABLISH, { at: 30, in: NOTIFY(6, 4), out: ["close", "down notificationReceived 6/4 (was established)", "set connectRetry @1030", "clear hold", "clear keepalive"], state: "idle" }],
  },
  {
    name: "manual stop on an Established session: Cease 6/2, no reconnect",
    steps: [
      ...ESTABLISH,
      { at: 30, in: { type: "stop" }, out: ["send NOTIFICATION 6/2", "close", "down stopped (was established)", "clear hold", "clear keepalive"], state: "idle" },
      { at: 1_000_000, in: TICK, out: [], state: "idle" },
      { at: 1_000_001, in: START, out: ["connect", "set connectRetry @1010001"], state: "connect" },
    ],
  },
  {
    name: "stop while waiting to reconnect cancels the reconnect",
    steps: [
      { at: 0, in: START, out: ["connect", "set connectRetry @10000"] },
      { at: 100, in: FAILED, out: ["close", "set connectRetry @1100"], state: "active" },
      { at: 200, in: { type: "stop" }, out: ["clear connectRetry"], state: "idle" },
      { at: 5000, in: TICK, out: [] },
    ],
  },
  {
    name: "stop during a connect attempt closes it without a NOTIFICATION",
    steps: [
      { at: 0, in: START, out: ["connect", "set connectRetry @10000"] },
      { at: 100, in: { type: "stop" }, out: ["close", "clear connectRetry"], state: "idle" },
    ],
  },
  {
    name: "ROUTE-REFRESH for a negotiated family asks for our routes again; BoRR and unknown families are ignored",
    steps: [
      ...ESTABLISH,
      { at: 30, in: { type: "message", message: { type: "routeRefresh", afi: 2, safi: 1, subtype: 0 } }, out: ["refresh 2/1", "set hold @90030"] },
      { at: 31, in: { type: "message", message: { type: "routeRefresh", afi: 1, safi: 1, subtype: 1 } }, out: ["set hold @90031"] },
      { at: 32, in: { type: "message", message: { type: "routeRefresh", afi: 25, safi: 70, subtype: 0 } }, out: ["set hold @90032"] },
    ],
  },
  {
    name: "UPDATEs are sent only when Established, and restart the keepalive timer",
    steps: [
      { at: 0, in: { type: "sendUpdates", updates: [UPDATE] }, out: [] },
      ...ESTABLISH,
      { at: 1000, in: { type: "sendUpdates", updates: [UPDATE, UPDATE] }, out: ["send UPDATE", "send UPDATE", "set keepalive @31000"] },
    ],
  },
  {
    name: "start while running is ignored",
    steps: [...ESTABLISH, { at: 40, in: START, out: [], state: "established" }],
  },
];

suite("BGP session scenarios", () => {
  it.each(scenarios)("$name", ({ steps, config }) => {
    play(steps, config);
  });
});

suite("BGP session details", () => {
  it("sends the OPEN MetalLB's peer expects: AS, hold time, router id, MP + route refresh + 4-octet AS", () => {
    expect(localOpen(baseConfig)).toEqual({
      type: "open", asn: LOCAL_ASN, holdTime: 90, bgpId: "198.18.0.10",
      capabilities: [{ kind: "multiprotocol", afi: 1, safi: 1 }, { kind: "multiprotocol", afi: 2, safi: 1 }, { kind: "routeRefresh" }, { kind: "fourOctetAs", asn: LOCAL_ASN }],
    });
  });

  it("puts AS_TRANS in the OPEN for a 4-octet local ASN and adds graceful restart when enabled", () => {
    const open = localOpen({ ...baseConfig, localAsn: 4200000001, families: { ipv4: true, ipv6: false }, gracefulRestart: { restartTime: 120, restarting: true, forwarding: true } });
    expect(open.asn).toBe(23456);
    expect(open.capabilities).toContainEqual({ kind: "fourOctetAs", asn: 4200000001 });
    expect(open.capabilities).toContainEqual({ kind: "gracefulRestart", restarting: true, notification: false, restartTime: 120, families: [{ afi: 1, safi: 1, forwarding: true }] });
  });

  // RFC 4724 3: the R bit says "I restarted" and belongs to the first session after a restart in place, within the
  // restart time; the F bit says the forwarding state was kept (as the caller decided for the first session, always
  // for a reconnect of the same process). Each row: inputs from a fresh start, then the R/F bits of every OPEN sent.
  const grBits = (config: Partial<SessionConfig>, inputs: Array<[number, SessionInput]>): string[] => {
    let state = initialSession(configWith(config));
    const bits: string[] = [];
    for (const [at, input] of inputs) {
      const r = stepSession(state, input, at);
      state = r.state;
      for (const a of r.actions) {
        const gr = a.type === "send" && a.message.type === "open" ? a.message.capabilities.find((c) => c.kind === "gracefulRestart") : undefined;
        if (gr?.kind === "gracefulRestart") bits.push(`R=${Number(gr.restarting)} F=${gr.families.map((f) => Number(f.forwarding)).join("")}`);
      }
    }
    return bits;
  };
  const DROP: SessionInput = { type: "tcpClosed" };
  it.each([
    ["a fresh start: R=0 and F=0, then F=1 on the reconnect of the same process", { restarting: false, forwarding: false },
      [[0, START], [5, CONNECTED], [10, OPEN()], [20, KA], [100, DROP], [1100, TICK], [1105, CONNECTED]], ["R=0 F=00", "R=0 F=11"]],
    ["a restart in place: R=1 until the first Established, not on the reconnect", { restarting: true, forwarding: true },
      [[0, START], [5, CONNECTED], [10, OPEN()], [20, KA], [100, DROP], [1100, TICK], [1105, CONNECTED]], ["R=1 F=11", "R=0 F=11"]],
    ["a restart in place whose first attempts fail keeps R=1 on every OPEN before Established", { restarting: true, forwarding: true },
      [[0, START], [5, CONNECTED], [10, DROP], [1010, TICK], [1015, CONNECTED]], ["R=1 F=11", "R=1 F=11"]],
    ["R stops once the restart window (restartingForMs) has passed, even before any Established", { restarting: true, restartingForMs: 1000, forwarding: true },
      [[0, START], [5, CONNECTED], [10, DROP], [1010, TICK], [1015, CONNECTED]], ["R=1 F=11", "R=0 F=11"]],
    ["the window defaults to the restart time", { restarting: true, forwarding: false },
      [[0, START], [5, CONNECTED], [10, DROP], [119_990, TICK], [119_995, CONNECTED], [119_996, DROP], [130_000, TICK], [130_001, CONNECTED]], ["R=1 F=00", "R=1 F=00", "R=0 F=00"]],
    ["back after the grace: R=1 with F=0, so the helper drops the stale routes at once", { restarting: true, forwarding: false },
      [[0, START], [5, CONNECTED]], ["R=1 F=00"]],
  ] as const)("graceful restart bits: %s", (_name, flags, inputs, want) => {
    expect(grBits({ gracefulRestart: { restartTime: 120, ...flags } }, inputs.map(([at, i]) => [at, i]))).toEqual(want);
  });

  it("negotiates families, 4-octet AS, route refresh and the peer's graceful restart", () => {
    const state = play(ESTABLISH.slice(0, 2), { gracefulRestart: { restartTime: 120, restarting: false, forwarding: true } });
    const gr: Capability = { kind: "gracefulRestart", restarting: false, notification: true, restartTime: 90, families: [{ afi: 1, safi: 1, forwarding: false }] };
    const r = stepSession(state, OPEN({ capabilities: [{ kind: "multiprotocol", afi: 1, safi: 1 }, gr] }), 10);
    expect(r.state.negotiated).toEqual({
      peerAsn: PEER_ASN, peerBgpId: "198.18.0.1", ibgp: false, holdTime: 90, fourOctetAs: false,
      families: { ipv4: true, ipv6: false }, routeRefresh: false,
      gracefulRestart: { restartTime: 90, restarting: false, notification: true, families: [{ afi: 1, safi: 1, forwarding: false }] },
    });
    expect(messageOptions(r.state)).toEqual({ fourOctetAs: false, external: true });
  });

  it("a peer without any Multiprotocol capability gets IPv4 unicast only", () => {
    const state = play(ESTABLISH.slice(0, 2));
    const r = stepSession(state, OPEN({ capabilities: [{ kind: "fourOctetAs", asn: PEER_ASN }] }), 10);
    expect(r.state.negotiated?.families).toEqual({ ipv4: true, ipv6: false });
  });

  it("the Cease of a stop carries an RFC 9003 shutdown message", () => {
    const state = play(ESTABLISH);
    const r = stepSession(state, { type: "stop", message: "node drained" }, 30);
    const sent = r.actions.find((a) => a.type === "send");
    expect(sent?.type === "send" && sent.message.type === "notification" && toHex(sent.message.data)).toBe("0c" + Buffer.from("node drained").toString("hex"));
  });

  it("resets the backoff when a session that stayed up long enough drops, keeps growing it for a flapping one", () => {
    const flapping = play([...ESTABLISH, { at: 100, in: NOTIFY(6, 2), out: ["close", "down notificationReceived 6/2 (was established)", "set connectRetry @1100", "clear hold", "clear keepalive"] }]);
    expect(flapping.connectRetryCount).toBe(1);
    const again = play([
      { at: 1100, in: TICK, out: ["connect", "set connectRetry @11100"] },
      { at: 1105, in: CONNECTED, out: ["send OPEN", "clear connectRetry", "set hold @241105"] },
      { at: 1110, in: OPEN(), out: ["send KEEPALIVE", "set hold @91110", "set keepalive @31110"] },
      { at: 1120, in: KA, out: ["established", "set hold @91120"] },
      { at: 1200, in: NOTIFY(6, 2), out: ["close", "down notificationReceived 6/2 (was established)", "set connectRetry @3200", "clear hold", "clear keepalive"] },
    ], {}, flapping);
    expect(again.connectRetryCount).toBe(2);
    const stable = play([
      ...ESTABLISH,
      { at: 30010, in: TICK, out: ["send KEEPALIVE", "set keepalive @60010"] },
      { at: 40000, in: KA, out: ["set hold @130000"] },
      { at: 50000, in: NOTIFY(6, 2), out: ["close", "down notificationReceived 6/2 (was established)", "set connectRetry @51000", "clear hold", "clear keepalive"] },
    ], {}, { ...initialSession(baseConfig), connectRetryCount: 5 });
    expect(stable.connectRetryCount).toBe(1);
  });

  it("counts routes received and stores none: the state does not grow with the peer's table", () => {
    let state = play(ESTABLISH);
    const size0 = JSON.stringify(state).length;
    for (let i = 0; i < 2000; i++) state = stepSession(state, { type: "message", message: UPDATE }, 100 + i).state;
    expect(state.counters).toMatchObject({ updatesReceived: 2000, prefixesAnnounced: 6000, prefixesWithdrawn: 2000 });
    expect(JSON.stringify(state).length).toBeLessThan(size0 + 100);
  });

  it("counts NOTIFICATIONs by code and subcode, sent and received (the metrics' vipmesh_bgp_notifications_total)", () => {
    const afterOpenError = play([...ESTABLISH, { at: 30, in: OPEN(), out: ["send NOTIFICATION 5/3", "close", "down notificationSent 5/3 (was established)", "set connectRetry @1030", "clear hold", "clear keepalive"] }]);
    expect(afterOpenError.counters.notificationsSentByCode).toEqual({ "5/3": 1 });
    const again = stepSession(stepSession(afterOpenError, TICK, 2_000, 0).state, CONNECTED, 2_005, 0).state;
    const received = [OPEN(), KA, NOTIFY(6, 4)].reduce((s, input, i) => stepSession(s, input, 2_010 + i, 0).state, again);
    expect(received.counters.notificationsReceivedByCode).toEqual({ "6/4": 1 });
    expect(received.counters.notificationsSentByCode).toEqual({ "5/3": 1 });
    expect(received.counters.notificationsReceived).toBe(1);
  });

  it("nextDeadline is the earliest running timer", () => {
    const state = play(ESTABLISH);
    expect(nextDeadline(state)).toBe(30010);
    expect(nextDeadline(initialSession(baseConfig))).toBeUndefined();
  });

  it("any input sequence keeps the FSM consistent: timers only in states that use them, no timer in the past", () => {
    const inputArb: fc.Arbitrary<SessionInput> = fc.oneof(
      fc.constantFrom<SessionInput>(START, TICK, CONNECTED, FAILED, { type: "tcpClosed" }, { type: "stop" }, KA, OPEN(), OPEN({ holdTime: 3 }), OPEN({ holdTime: 0 }), NOTIFY(6, 2), { type: "message", message: UPDATE }, { type: "sendUpdates", updates: [UPDATE] }, decodeError(3, 1)),
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(inputArb, fc.integer({ min: 0, max: 100_000 }), fc.double({ min: 0, max: 1, noNaN: true })), { maxLength: 40 }), (inputs) => {
        let state = initialSession(baseConfig);
        let now = 0;
        for (const [input, dt, r] of inputs) {
          now += dt;
          const step = stepSession(state, input, now, r);
          state = step.state;
          for (const at of Object.values(state.deadlines)) expect(at).toBeGreaterThan(now);
          if (state.state === "idle" && !state.adminUp) expect(state.deadlines).toEqual({});
          if (state.state !== "openConfirm" && state.state !== "established") expect(state.deadlines.keepalive).toBeUndefined();
          if (state.state === "established") expect(state.negotiated).toBeDefined();
          if (step.actions.some((a) => a.type === "established")) expect(state.state).toBe("established");
        }
      }),
      { numRuns: 500 },
    );
  });
});
