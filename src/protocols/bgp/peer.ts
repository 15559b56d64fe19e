// One BGP peer: the session FSM plus its Adj-RIB-Out, as one pure step function. The caller sets the desired routes at
// any time; when the session reaches Established the whole table goes out followed by End-of-RIB, afterwards only
// the differences, and a ROUTE-REFRESH re-sends one family. When the session drops, the Adj-RIB-Out is forgotten
// (the peer dropped our routes, or keeps them as stale under graceful restart until our End-of-RIB).
import { isIpv4 } from "../codec/addresses.js";
import type { Family } from "../../net/ip.js";
import {
  type AdjRibOut,
  type DesiredRoutes,
  EMPTY_RIB_OUT,
  type PeerContext,
  endOfRibMarkers,
  forgetFamily,
  planUpdates,
} from "./adjRibOut.js";
import { Afi } from "./constants.js";
import { initialSession, stepSession } from "./session.js";
import type { SessionAction, SessionConfig, SessionInput, SessionState } from "./sessionTypes.js";
import type { UpdateMessage } from "./update.js";

/** Next hops to announce; by default the local address of the TCP connection, for its own family. */
export type NextHops = { readonly ipv4?: string; readonly ipv6?: string; readonly ipv6LinkLocal?: string };

export interface PeerConfig {
  readonly session: SessionConfig;
  /** Extra copies of our ASN on eBGP sessions. */
  readonly asPathPrepend?: number;
  readonly nextHops?: NextHops;
}

export interface PeerState {
  readonly config: PeerConfig;
  readonly session: SessionState;
  readonly desired: DesiredRoutes;
  readonly ribOut: AdjRibOut;
  /** Local address of the current TCP connection (the default next hop). */
  readonly localAddress?: string;
  /** Desired prefixes the current session cannot carry (family not negotiated, no next hop). */
  readonly unsendable: readonly string[];
}

export type PeerInput =
  | Exclude<SessionInput, { type: "tcpConnected" } | { type: "sendUpdates" }>
  | { readonly type: "tcpConnected"; readonly localAddress?: string }
  /**
   * Replace the desired routes (and, when given, the next hops); on an Established session the difference goes out at
   * once: a route whose next hop changed is re-announced.
   */
  | { readonly type: "setRoutes"; readonly routes: DesiredRoutes; readonly nextHops?: NextHops };

export interface PeerStep {
  readonly state: PeerState;
  readonly actions: readonly SessionAction[];
}

export function initialPeer(config: PeerConfig, desired: DesiredRoutes = new Map()): PeerState {
  return { config, session: initialSession(config.session), desired, ribOut: EMPTY_RIB_OUT, unsendable: [] };
}

/** The PeerContext of an Established session, or undefined before. */
export function peerContext(p: PeerState): PeerContext | undefined {
  const n = p.session.negotiated;
  if (n === undefined || p.session.state !== "established") return undefined;
  const local = p.localAddress;
  const hops = p.config.nextHops ?? {};
  const nextHopV4 = hops.ipv4 ?? (local !== undefined && isIpv4(local) ? local : undefined);
  const nextHopV6 = hops.ipv6 ?? (local !== undefined && local.includes(":") ? local : undefined);
  return {
    localAsn: p.config.session.localAsn,
    ibgp: n.ibgp,
    fourOctetAs: n.fourOctetAs,
    families: n.families,
    ...(nextHopV4 === undefined ? {} : { nextHopV4 }),
    ...(nextHopV6 === undefined ? {} : { nextHopV6 }),
    ...(hops.ipv6LinkLocal === undefined ? {} : { linkLocalNextHopV6: hops.ipv6LinkLocal }),
    ...(p.config.asPathPrepend === undefined ? {} : { asPathPrepend: p.config.asPathPrepend }),
  };
}

export function stepPeer(p: PeerState, input: PeerInput, now: number, jitter = 0): PeerStep {
  let desired = p.desired;
  let config = p.config;
  let localAddress = p.localAddress;
  let sessionInput: SessionInput;
  let replan = false;
  if (input.type === "setRoutes") {
    desired = input.routes;
    if (input.nextHops !== undefined) config = { ...config, nextHops: input.nextHops };
    sessionInput = { type: "tick" };
    replan = true;
  } else if (input.type === "tcpConnected") {
    localAddress = input.localAddress;
    sessionInput = { type: "tcpConnected" };
  } else {
    sessionInput = input;
  }
  const first = stepSession(p.session, sessionInput, now, jitter);
  const actions: SessionAction[] = [...first.actions];
  let ribOut = p.ribOut;
  let endOfRib = false;
  for (const a of first.actions) {
    if (a.type === "down" || a.type === "established") ribOut = EMPTY_RIB_OUT;
    if (a.type === "established") endOfRib = replan = true;
    if (a.type === "routeRefreshRequested") {
      ribOut = forgetFamily(ribOut, (a.afi === Afi.ipv4 ? 4 : 6) as Family);
      replan = true;
    }
  }
  const { localAddress: _previous, ...rest } = p;
  const base: PeerState = { ...rest, config, desired, ribOut, session: first.state, ...(localAddress === undefined ? {} : { localAddress }) };
  const ctx = replan ? peerContext(base) : undefined;
  if (ctx === undefined) return { state: base, actions };
  const plan = planUpdates(ribOut, desired, ctx);
  const updates: UpdateMessage[] = [...plan.updates, ...(endOfRib ? endOfRibMarkers(ctx) : [])];
  const second = stepSession(first.state, { type: "sendUpdates", updates }, now, jitter);
  return {
    state: { ...base, session: second.state, ribOut: plan.ribOut, unsendable: plan.unsendable },
    actions: [...actions, ...second.actions],
  };
}
