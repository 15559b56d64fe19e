// The BGP session state machine (RFC 4271 8) as a pure function: stepSession(state, input, now, jitter) returns the
// next state and the actions to perform (connect, close, send, timers as deadlines, established/down events).
//
// Every step first fires the timers whose deadline is <= now, in deadline order, then handles the input. Timers:
//   connectRetry  Idle (admin up) and Active: time to reconnect, capped exponential backoff with jitter;
//                 Connect: the connect attempt timed out (counts as a failure).
//   hold          OpenSent: 4 minutes for the peer's OPEN; OpenConfirm/Established: the negotiated hold time,
//                 restarted by every message received (the receive side: a silent peer is dropped with 4/0).
//   keepalive     OpenConfirm/Established: send KEEPALIVE; restarted by every KEEPALIVE or UPDATE we send.
// Deviations, on purpose: vipmesh only initiates connections (no passive side, so no collision detection and no
// DelayOpen); TCP failures before the peer's OPEN go to Active, errors after it go to Idle, and both reconnect after
// the backoff while the session is administratively up. Routes received are counted, never stored.
// Graceful restart (RFC 4724): a session configured as restarting sends the R bit on its OPENs until it first reaches
// Established, within restartTime of its first start (restartFlags in localOpen.ts).
// Malformed UPDATEs that RFC 7606 does not reset for arrive decoded with `errors`: counted per kind, reported once per
// kind per session (an `updateError` action), routes counted as withdrawn (treat-as-withdraw) or ignored (AFI/SAFI
// disable, for the rest of the session); the session stays up.
import { Afi, Safi } from "./constants.js";
import type { BgpMessage } from "./message.js";
import { KEEPALIVE } from "./keepalive.js";
import { ceaseWithMessage, notification } from "./notification.js";
import { CeaseSubcode, ErrorCode, FsmSubcode, type NotificationFields } from "./notificationCodes.js";
import type { OpenMessage } from "./open.js";
import { localOpen, restartFlags, restartingDeadline } from "./localOpen.js";
import { validateOpen } from "./openValidation.js";
import type { DownReason, SessionAction, SessionConfig, SessionInput, SessionState, SessionStep, TimerName } from "./sessionTypes.js";
import { OPEN_HOLD_MS, backoffDelay, jittered, keepaliveInterval } from "./timers.js";
import { type UpdateMessage, routeCounts } from "./update.js";
import { disabledFamilies } from "./updateErrors.js";

const ZERO_COUNTERS = {
  messagesReceived: 0, updatesReceived: 0, prefixesAnnounced: 0, prefixesWithdrawn: 0,
  updatesSent: 0, notificationsSent: 0, notificationsReceived: 0, establishedCount: 0, prefixesIgnored: 0, updateErrors: {},
  notificationsSentByCode: {}, notificationsReceivedByCode: {},
};

/** `counts` with one more NOTIFICATION of `code`/`subcode` (a new object: states are values). */
const countNotification = (counts: Readonly<Record<string, number>>, m: { code: number; subcode: number }): Record<string, number> => {
  const key = `${m.code}/${m.subcode}`;
  return { ...counts, [key]: (counts[key] ?? 0) + 1 };
};

export { localOpen } from "./localOpen.js";

export function initialSession(config: SessionConfig): SessionState {
  return { config, state: "idle", adminUp: false, connectRetryCount: 0, deadlines: {}, counters: ZERO_COUNTERS };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<Omit<SessionState, "deadlines" | "counters">> & {
  deadlines: Partial<Record<TimerName, number>>;
  counters: Mutable<SessionState["counters"]>;
};

/** One step: a mutable draft of the state and the actions so far, private to stepSession. */
class Step {
  readonly s: Draft;
  readonly actions: SessionAction[] = [];

  constructor(state: SessionState, readonly now: number, readonly jitter: number) {
    this.s = { ...state, deadlines: { ...state.deadlines }, counters: { ...state.counters } };
  }

  get connected(): boolean {
    return this.s.state === "openSent" || this.s.state === "openConfirm" || this.s.state === "established";
  }

  send(message: BgpMessage): void {
    this.actions.push({ type: "send", message });
    if (message.type === "notification") {
      this.s.counters.notificationsSent++;
      this.s.counters.notificationsSentByCode = countNotification(this.s.counters.notificationsSentByCode, message);
    }
    if (message.type === "update") this.s.counters.updatesSent++;
  }

  connect(): void {
    this.actions.push({ type: "connect" });
    this.s.state = "connect";
    this.s.deadlines.connectRetry = this.now + this.s.config.connectTimeoutMs;
  }

  restartHold(): void {
    const hold = this.s.negotiated?.holdTime ?? 0;
    if (hold > 0) this.s.deadlines.hold = this.now + hold * 1000;
    else delete this.s.deadlines.hold;
  }

  restartKeepalive(): void {
    if (this.s.keepaliveMs === undefined) delete this.s.deadlines.keepalive;
    else this.s.deadlines.keepalive = this.now + jittered(this.s.keepaliveMs, this.jitter);
  }

  /** Backoff before the next connect attempt, counting one more failure. */
  scheduleReconnect(): void {
    if (!this.s.adminUp) return;
    this.s.deadlines.connectRetry = this.now + backoffDelay(this.s.connectRetryCount, this.s.config.timers.connectRetry, this.jitter);
    this.s.connectRetryCount++;
  }

  /**
   * Ends the connection: optional NOTIFICATION, close, release session state, then wait in `next` (Idle after a
   * protocol error, Active after a TCP failure) for the backoff to reconnect.
   */
  drop(reason: DownReason, next: "idle" | "active", notify?: NotificationFields): void {
    const wasEstablished = this.s.state === "established";
    const hadSession = this.connected;
    if (notify !== undefined && hadSession) this.send(notification(notify.code, notify.subcode, notify.data));
    this.actions.push({ type: "close" });
    if (wasEstablished && this.s.establishedAt !== undefined && this.now - this.s.establishedAt >= this.s.config.stableAfterMs) {
      this.s.connectRetryCount = 0;
    }
    this.s.deadlines = {};
    delete this.s.negotiated;
    delete this.s.keepaliveMs;
    delete this.s.establishedAt;
    delete this.s.disabledFamilies;
    delete this.s.reportedErrors;
    this.s.state = next;
    this.s.lastDown = reason;
    this.scheduleReconnect();
    if (hadSession) this.actions.push({ type: "down", reason, wasEstablished });
  }

  fsmError(detail: string): void {
    const subcode = this.s.state === "openSent" ? FsmSubcode.unexpectedMessageInOpenSent
      : this.s.state === "openConfirm" ? FsmSubcode.unexpectedMessageInOpenConfirm : FsmSubcode.unexpectedMessageInEstablished;
    const n = { code: ErrorCode.finiteStateMachine, subcode, data: new Uint8Array(0) };
    this.drop({ kind: "notificationSent", notification: n, detail }, "idle", n);
  }

  finish(before: SessionState): SessionStep {
    const timers: TimerName[] = ["connectRetry", "hold", "keepalive"];
    for (const t of timers) {
      const was = before.deadlines[t];
      const now = this.s.deadlines[t];
      if (now !== undefined && now !== was) this.actions.push({ type: "setTimer", timer: t, at: now });
      if (now === undefined && was !== undefined) this.actions.push({ type: "clearTimer", timer: t });
    }
    return { state: this.s, actions: this.actions };
  }
}

export function stepSession(state: SessionState, input: SessionInput, now: number, jitter = 0): SessionStep {
  const step = new Step(state, now, jitter);
  fireTimers(step);
  handleInput(step, input);
  return step.finish(state);
}

function fireTimers(step: Step): void {
  for (;;) {
    const due = (Object.entries(step.s.deadlines) as Array<[TimerName, number]>)
      .filter(([, at]) => at <= step.now)
      .sort((a, b) => a[1] - b[1])[0];
    if (due === undefined) return;
    delete step.s.deadlines[due[0]];
    onTimer(step, due[0]);
  }
}

function onTimer(step: Step, timer: TimerName): void {
  const s = step.s;
  switch (timer) {
    case "connectRetry":
      if (s.state === "connect") {
        step.actions.push({ type: "close" });
        s.state = "active";
        s.lastDown = { kind: "connectFailed", detail: `no connection within ${s.config.connectTimeoutMs} ms` };
        step.scheduleReconnect();
      } else if ((s.state === "idle" && s.adminUp) || s.state === "active") {
        step.connect();
      }
      return;
    case "hold":
      if (step.connected) {
        const n = { code: ErrorCode.holdTimerExpired, subcode: 0, data: new Uint8Array(0) };
        step.drop({ kind: "holdTimerExpired" }, "idle", n);
      }
      return;
    case "keepalive":
      if (s.state === "openConfirm" || s.state === "established") {
        step.send(KEEPALIVE);
        step.restartKeepalive();
      }
      return;
  }
}

function handleInput(step: Step, input: SessionInput): void {
  const s = step.s;
  switch (input.type) {
    case "tick":
      return;
    case "start":
      if (s.state !== "idle") return;
      s.adminUp = true;
      s.connectRetryCount = 0;
      if (s.restartingUntil === undefined && s.counters.establishedCount === 0) {
        const until = restartingDeadline(s.config, step.now);
        if (until !== undefined) s.restartingUntil = until;
      }
      step.connect();
      return;
    case "stop": {
      if (!s.adminUp && s.state === "idle") return;
      const subcode = input.subcode ?? CeaseSubcode.administrativeShutdown;
      const n = input.message === undefined ? notification(ErrorCode.cease, subcode) : ceaseWithMessage(subcode, input.message);
      s.adminUp = false;
      if (s.state === "idle") {
        delete s.deadlines.connectRetry;
        return;
      }
      if (s.state === "active") {
        s.state = "idle";
        s.deadlines = {};
        return;
      }
      step.drop({ kind: "stopped", subcode }, "idle", n);
      s.connectRetryCount = 0;
      return;
    }
    case "tcpConnected":
      if (s.state !== "connect") return;
      delete s.deadlines.connectRetry;
      step.send(localOpen(s.config, restartFlags(s, step.now)));
      s.deadlines.hold = step.now + OPEN_HOLD_MS;
      s.state = "openSent";
      return;
    case "tcpFailed":
    case "tcpClosed":
      if (s.state === "connect") {
        step.actions.push({ type: "close" });
        s.state = "active";
        s.lastDown = { kind: "connectFailed", detail: input.detail ?? "connection failed" };
        delete s.deadlines.connectRetry;
        step.scheduleReconnect();
      } else if (step.connected) {
        step.drop({ kind: "connectionClosed" }, s.state === "openSent" ? "active" : "idle");
      }
      return;
    case "decodeError":
      if (!step.connected) return;
      if (input.error.notification === null) step.drop({ kind: "protocolError", detail: input.error.message }, "idle");
      else step.drop({ kind: "notificationSent", notification: input.error.notification, detail: input.error.message }, "idle", input.error.notification);
      return;
    case "sendUpdates":
      if (s.state !== "established" || input.updates.length === 0) return;
      for (const u of input.updates) step.send(u);
      step.restartKeepalive();
      return;
    case "message":
      onMessage(step, input.message);
      return;
  }
}

function onMessage(step: Step, m: BgpMessage): void {
  const s = step.s;
  if (!step.connected) return; // no connection: nothing can have been received
  s.counters.messagesReceived++;
  if (m.type === "notification") {
    s.counters.notificationsReceived++;
    s.counters.notificationsReceivedByCode = countNotification(s.counters.notificationsReceivedByCode, m);
    const { code, subcode, data } = m;
    step.drop({ kind: "notificationReceived", notification: { code, subcode, data } }, "idle");
    return;
  }
  switch (s.state) {
    case "openSent":
      if (m.type !== "open") return step.fsmError(`${m.type} before the peer's OPEN`);
      return onOpen(step, m);
    case "openConfirm":
      if (m.type !== "keepalive") return step.fsmError(`${m.type} in OpenConfirm`);
      s.state = "established";
      s.establishedAt = step.now;
      s.counters.establishedCount++;
      delete s.restartingUntil;
      step.restartHold();
      step.actions.push({ type: "established", negotiated: s.negotiated as NonNullable<typeof s.negotiated> });
      return;
    default:
      return onEstablishedMessage(step, m);
  }
}

function onOpen(step: Step, open: OpenMessage): void {
  const s = step.s;
  const c = s.config;
  const verdict = validateOpen(open, {
    localAsn: c.localAsn,
    ...(c.peerAsn === undefined ? {} : { peerAsn: c.peerAsn }),
    ...(c.dynamicAsn === undefined ? {} : { dynamicAsn: c.dynamicAsn }),
    localBgpId: c.routerId,
    holdTime: c.timers.holdTime,
    families: c.families,
    gracefulRestart: c.gracefulRestart !== undefined,
  });
  if (!verdict.ok) {
    step.drop({ kind: "notificationSent", notification: verdict.notification, detail: verdict.reason }, "idle", verdict.notification);
    return;
  }
  s.negotiated = verdict.negotiated;
  const interval = keepaliveInterval(verdict.negotiated.holdTime, c.timers.keepaliveMs);
  if (interval === undefined) delete s.keepaliveMs;
  else s.keepaliveMs = interval;
  step.send(KEEPALIVE);
  step.restartHold();
  step.restartKeepalive();
  s.state = "openConfirm";
}

function onEstablishedMessage(step: Step, m: Exclude<BgpMessage, { type: "notification" }>): void {
  const s = step.s;
  switch (m.type) {
    case "open":
      return step.fsmError("OPEN on an Established session");
    case "keepalive":
      step.restartHold();
      return;
    case "update": {
      step.restartHold();
      s.counters.updatesReceived++;
      noteUpdateErrors(step, m);
      const counts = routeCounts(m, new Set(s.disabledFamilies ?? []));
      s.counters.prefixesAnnounced += counts.announced;
      s.counters.prefixesWithdrawn += counts.withdrawn;
      s.counters.prefixesIgnored += counts.ignored;
      return;
    }
    case "routeRefresh": {
      step.restartHold();
      const fam = s.negotiated?.families;
      const negotiated = m.safi === Safi.unicast && ((m.afi === Afi.ipv4 && fam?.ipv4 === true) || (m.afi === Afi.ipv6 && fam?.ipv6 === true));
      // RFC 2918 4: ignore families we did not advertise; RFC 7313 BoRR/EoRR (subtype 1, 2) need no answer.
      if (negotiated && m.subtype === 0) step.actions.push({ type: "routeRefreshRequested", afi: m.afi, safi: m.safi });
      return;
    }
  }
}

/** RFC 7606: count each error by kind, disable families for the session, report the first of each kind. */
function noteUpdateErrors(step: Step, m: UpdateMessage): void {
  const errors = m.errors ?? [];
  if (errors.length === 0) return;
  const s = step.s;
  const counts = { ...s.counters.updateErrors };
  const reported = [...(s.reportedErrors ?? [])];
  for (const e of errors) {
    counts[e.kind] = (counts[e.kind] ?? 0) + 1;
    if (reported.includes(e.kind)) continue;
    reported.push(e.kind);
    step.actions.push({ type: "updateError", error: e });
  }
  s.counters.updateErrors = counts;
  s.reportedErrors = reported;
  const disabled = new Set([...(s.disabledFamilies ?? []), ...disabledFamilies(errors)]);
  if (disabled.size > 0) s.disabledFamilies = [...disabled].sort();
}
