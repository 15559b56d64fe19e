// Types of the BGP session state machine (RFC 4271 8): its configuration, state, inputs and actions.
import type { BgpMessage, MessageOptions } from "./message.js";
import type { BgpDecodeError, NotificationFields } from "./notificationCodes.js";
import type { DynamicAsn, Negotiated } from "./openValidation.js";
import type { SessionTimers } from "./timers.js";
import type { UpdateMessage } from "./update.js";
import type { UpdateError, UpdateErrorKind } from "./updateErrors.js";

export type SessionStateName = "idle" | "connect" | "active" | "openSent" | "openConfirm" | "established";
export type TimerName = "connectRetry" | "hold" | "keepalive";

export interface SessionConfig {
  /** BGPPeer.myASN (4-octet; AS_TRANS goes in the OPEN when it does not fit 2 octets). */
  readonly localAsn: number;
  /** BGPPeer.peerASN; leave undefined with dynamicAsn. */
  readonly peerAsn?: number;
  readonly dynamicAsn?: DynamicAsn;
  /** BGP Identifier (BGPPeer.routerID, or an IPv4 address of the node). */
  readonly routerId: string;
  readonly timers: SessionTimers;
  /** How long a TCP connect attempt may take before it counts as failed. */
  readonly connectTimeoutMs: number;
  readonly families: { readonly ipv4: boolean; readonly ipv6: boolean };
  /** BGPPeer.enableGracefulRestart: send the Graceful Restart capability (RFC 4724). */
  readonly gracefulRestart?: {
    /** Seconds the peer should keep our routes while we restart (0..4095). */
    readonly restartTime: number;
    /**
     * R bit: this process restarted in place. Sent on the OPENs of this session until it first reaches Established,
     * and only within `restartingForMs` (default: restartTime) of the first start: past that the peer has dropped
     * our stale routes anyway.
     */
    readonly restarting: boolean;
    readonly restartingForMs?: number;
    /**
     * F bit (every family) on the OPENs until the session first reaches Established: the forwarding state of the
     * routes a previous process advertised was preserved. Once this session has been Established, later OPENs
     * (reconnects of the same process) always set it: the process never stopped and the data path never changed.
     */
    readonly forwarding: boolean;
  };
  /** A session that stayed Established this long resets the reconnect backoff when it drops. */
  readonly stableAfterMs: number;
  /**
   * Offer RFC 8950 extended next hop for IPv4 unicast (capability 5, next hop AFI IPv6) and accept IPv4 routes with an
   * IPv6 next hop. Without it such routes disable IPv4 unicast for the session (RFC 7606 7.11), never reset it.
   */
  readonly extendedNextHop?: boolean;
}

export interface SessionCounters {
  readonly messagesReceived: number;
  readonly updatesReceived: number;
  /** Prefixes the peer announced and withdrew, counted and discarded (never stored). */
  readonly prefixesAnnounced: number;
  readonly prefixesWithdrawn: number;
  readonly updatesSent: number;
  readonly notificationsSent: number;
  readonly notificationsReceived: number;
  /** NOTIFICATIONs by "code/subcode" (RFC 4271 4.5), sent and received. */
  readonly notificationsSentByCode: Readonly<Record<string, number>>;
  readonly notificationsReceivedByCode: Readonly<Record<string, number>>;
  readonly establishedCount: number;
  /** Routes of an AFI/SAFI disabled after a malformed MP attribute (RFC 4760 7), ignored. */
  readonly prefixesIgnored: number;
  /** Malformed UPDATEs handled without a session reset (RFC 7606), per kind; every session of this peer. */
  readonly updateErrors: Readonly<Partial<Record<UpdateErrorKind, number>>>;
}

export interface SessionState {
  readonly config: SessionConfig;
  readonly state: SessionStateName;
  /** Started and not stopped: errors lead to automatic reconnects. */
  readonly adminUp: boolean;
  /** Consecutive failures, driving the reconnect backoff. */
  readonly connectRetryCount: number;
  /** Absolute deadlines (same clock as `now`) of the running timers. */
  readonly deadlines: Readonly<Partial<Record<TimerName, number>>>;
  /** Keepalive interval of the current session, once the OPENs are exchanged (undefined: none). */
  readonly keepaliveMs?: number;
  readonly negotiated?: Negotiated;
  readonly establishedAt?: number;
  readonly lastDown?: DownReason;
  /** While restarting (config.gracefulRestart.restarting), the deadline after which the R bit is no longer sent. */
  readonly restartingUntil?: number;
  /** This session's disabled "afi/safi" families (RFC 4760 7); cleared when it drops. */
  readonly disabledFamilies?: readonly string[];
  /** Kinds of UPDATE error already reported (an `updateError` action) on this session; cleared when it drops. */
  readonly reportedErrors?: readonly UpdateErrorKind[];
  readonly counters: SessionCounters;
}

export type DownReason =
  | { readonly kind: "stopped"; readonly subcode: number }
  | { readonly kind: "holdTimerExpired" }
  | { readonly kind: "notificationReceived"; readonly notification: NotificationFields }
  | { readonly kind: "notificationSent"; readonly notification: NotificationFields; readonly detail: string }
  | { readonly kind: "protocolError"; readonly detail: string }
  | { readonly kind: "connectionClosed" }
  | { readonly kind: "connectFailed"; readonly detail: string };

export type SessionInput =
  /** ManualStart (RFC 4271 event 1). */
  | { readonly type: "start" }
  /** ManualStop: Cease with `subcode` (default Administrative Shutdown) and an optional RFC 9003 message. */
  | { readonly type: "stop"; readonly subcode?: number; readonly message?: string }
  /** The TCP connection we initiated is up (events 16/17). */
  | { readonly type: "tcpConnected" }
  /** The connect attempt failed (event 18 before the connection existed). */
  | { readonly type: "tcpFailed"; readonly detail?: string }
  /** The established TCP connection closed or broke (event 18). */
  | { readonly type: "tcpClosed"; readonly detail?: string }
  | { readonly type: "message"; readonly message: BgpMessage }
  /** A framing or decode failure on received bytes: answered with its NOTIFICATION. */
  | { readonly type: "decodeError"; readonly error: BgpDecodeError }
  /** UPDATEs to send on the Established session (from the Adj-RIB-Out). */
  | { readonly type: "sendUpdates"; readonly updates: readonly UpdateMessage[] }
  /** Nothing happened but time passed: only fires timers. */
  | { readonly type: "tick" };

export type SessionAction =
  | { readonly type: "connect" }
  | { readonly type: "close" }
  | { readonly type: "send"; readonly message: BgpMessage }
  | { readonly type: "setTimer"; readonly timer: TimerName; readonly at: number }
  | { readonly type: "clearTimer"; readonly timer: TimerName }
  | { readonly type: "established"; readonly negotiated: Negotiated }
  | { readonly type: "down"; readonly reason: DownReason; readonly wasEstablished: boolean }
  /** The peer asked for our routes of one family again (ROUTE-REFRESH). */
  | { readonly type: "routeRefreshRequested"; readonly afi: number; readonly safi: number }
  /** The first malformed UPDATE of this kind on this session, handled without a reset (for one log line). */
  | { readonly type: "updateError"; readonly error: UpdateError };

export interface SessionStep {
  readonly state: SessionState;
  readonly actions: readonly SessionAction[];
}

/** How to decode the peer's messages in this state (AS_PATH width once 4-octet AS is negotiated, eBGP, RFC 8950). */
export function messageOptions(s: SessionState): MessageOptions {
  return {
    fourOctetAs: s.negotiated?.fourOctetAs ?? true,
    ...(s.negotiated?.ibgp === false ? { external: true } : {}),
    ...(s.config.extendedNextHop === true && s.config.families.ipv4 ? { extendedNextHop: true } : {}),
  };
}

/** The earliest running deadline: when the caller should feed a `tick` if nothing else happens. */
export function nextDeadline(s: SessionState): number | undefined {
  const all = Object.values(s.deadlines).filter((d): d is number => d !== undefined);
  return all.length === 0 ? undefined : Math.min(...all);
}
