// The BFD session state machine (RFC 5880 6.2, 6.8, Asynchronous mode) as a pure function:
// stepBfd(state, input, now, jitter) returns the next state and the packets to send and state changes to report.
//
// Every step first fires the timers whose deadline is <= now (detect before transmit when both are due), then
// handles the input, then reconciles the intervals (a Poll Sequence when they change while Up) and the transmit
// timer. Timers:
//   transmit  the next periodic packet, jittered per packet (6.8.7); none while passive and unheard (6.1), while
//             the remote's Required Min RX is 0, or after the AdminDown packets have been sent.
//   detect    reset by every accepted packet; expiry takes Init/Up Down with diag 1 and forgets the remote (6.8.4).
// Not here: Demand mode (we never ask for it; a remote in Demand mode is honoured by not transmitting), the echo
// function (echo.ts decides it is not run), authentication (a packet with the A bit is dropped).
import { BfdDiag, type BfdState } from "./constants.js";
import type { BfdControlPacket } from "./controlPacket.js";
import type {
  BfdCounters, BfdDropReason, BfdIntervals, BfdRemote, BfdSessionAction, BfdSessionConfig, BfdSessionInput,
  BfdSessionState, BfdSessionStep, BfdTimerName,
} from "./sessionTypes.js";
import { advertisedDesiredMinTxUs, detectionTimeUs, jitteredIntervalMs, transmitIntervalUs } from "./timers.js";

const INITIAL_REMOTE: BfdRemote = { discriminator: 0, state: "down", diag: 0, detectMult: 0, desiredMinTxUs: 0, minRxUs: 1, minEchoRxUs: 0, demand: false };
const ZERO_COUNTERS: BfdCounters = { packetsReceived: 0, packetsSent: 0, finalsSent: 0, pollSequences: 0, upCount: 0, downCount: 0, dropped: { authNotInUse: 0, adminDown: 0 } };

/** A session that has not been started: AdminDown and silent. */
export function initialBfdSession(config: BfdSessionConfig): BfdSessionState {
  const intervals = wantedIntervals(config, "adminDown");
  return { config, state: "adminDown", localDiag: 0, remote: INITIAL_REMOTE, advertised: intervals, inEffect: intervals, polling: false, deadlines: {}, counters: ZERO_COUNTERS };
}

function wantedIntervals(config: BfdSessionConfig, state: BfdState): BfdIntervals {
  return { desiredMinTxUs: advertisedDesiredMinTxUs(config.desiredMinTxUs, state === "up"), requiredMinRxUs: config.requiredMinRxUs };
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Draft = Mutable<Omit<BfdSessionState, "deadlines" | "counters">> & {
  deadlines: Partial<Record<BfdTimerName, number>>;
  counters: Mutable<Omit<BfdCounters, "dropped">> & { dropped: Record<BfdDropReason, number> };
};

class Step {
  readonly s: Draft;
  readonly actions: BfdSessionAction[] = [];

  constructor(state: BfdSessionState, readonly now: number, readonly jitter: number) {
    this.s = { ...state, deadlines: { ...state.deadlines }, counters: { ...state.counters, dropped: { ...state.counters.dropped } } };
  }

  setState(to: BfdState, diag: number): void {
    const from = this.s.state;
    if (from === to) return;
    this.s.state = to;
    this.s.localDiag = diag;
    if (to === "up") {
      this.s.counters.upCount++;
      this.s.upSince = this.now;
    } else if (from === "up") {
      this.s.counters.downCount++;
      delete this.s.upSince;
    }
    this.actions.push({ type: "stateChanged", from, to, diag });
  }

  send(final: boolean): void {
    const s = this.s;
    const packet: BfdControlPacket = {
      diag: s.localDiag,
      state: s.state,
      poll: s.polling && !final,
      final,
      controlPlaneIndependent: false,
      demand: false,
      detectMult: s.config.detectMult,
      myDiscriminator: s.config.localDiscriminator,
      yourDiscriminator: s.remote.discriminator,
      desiredMinTxUs: s.advertised.desiredMinTxUs,
      requiredMinRxUs: s.advertised.requiredMinRxUs,
      requiredMinEchoRxUs: 0,
    };
    s.counters.packetsSent++;
    if (final) s.counters.finalsSent++;
    this.actions.push({ type: "send", packet });
  }

  drop(reason: BfdDropReason): void {
    this.s.counters.dropped[reason]++;
    this.actions.push({ type: "dropped", reason });
  }

  txIntervalUs(): number {
    return transmitIntervalUs(this.s.inEffect.desiredMinTxUs, this.s.remote.minRxUs);
  }

  nextTransmitAt(): number {
    return this.now + jitteredIntervalMs(this.txIntervalUs(), this.s.config.detectMult, this.jitter);
  }

  finish(): BfdSessionStep {
    return { state: this.s, actions: this.actions };
  }
}

export function stepBfd(state: BfdSessionState, input: BfdSessionInput, now: number, jitter = 0): BfdSessionStep {
  const step = new Step(state, now, jitter);
  fireTimers(step);
  handleInput(step, input);
  reconcileIntervals(step);
  retimeTransmit(step);
  return step.finish();
}

function fireTimers(step: Step): void {
  const d = step.s.deadlines;
  if (d.detect !== undefined && d.detect <= step.now) {
    delete d.detect;
    detectionTimeExpired(step);
  }
  if (d.transmit !== undefined && d.transmit <= step.now) {
    delete d.transmit;
    if (mayTransmitPeriodically(step)) {
      step.send(false);
      d.transmit = step.nextTransmitAt();
    }
  }
}

/** 6.8.4 and 6.8.1: the remote is gone; Init or Up go Down with diag 1, and its discriminator is forgotten. */
function detectionTimeExpired(step: Step): void {
  const s = step.s;
  if (s.state === "init" || s.state === "up") {
    step.setState("down", BfdDiag.controlDetectionTimeExpired);
    leaveUp(step);
  }
  s.remote = { ...s.remote, discriminator: 0, state: "down" };
}

function handleInput(step: Step, input: BfdSessionInput): void {
  const s = step.s;
  switch (input.type) {
    case "tick":
      return;
    case "start":
      if (s.state === "adminDown") {
        step.setState("down", BfdDiag.none);
        delete s.adminDownSendUntil;
      }
      return;
    case "stop":
      if (s.state === "adminDown") return;
      step.setState("adminDown", BfdDiag.administrativelyDown);
      leaveUp(step);
      s.adminDownSendUntil = step.now + Math.max(1000, (s.config.detectMult * step.txIntervalUs()) / 1000);
      delete s.deadlines.detect;
      delete s.deadlines.transmit; // retimeTransmit sends the first AdminDown packet at once
      return;
    case "configure":
      s.config = { ...s.config, ...input.timers };
      return;
    case "packet":
      receive(step, input.packet);
      return;
  }
}

/** Leaving Up ends any Poll Sequence; the slow (>= 1 s) transmit interval applies at once (6.8.3). */
function leaveUp(step: Step): void {
  const s = step.s;
  s.polling = false;
  s.advertised = wantedIntervals(s.config, s.state);
  s.inEffect = s.advertised;
}

/** RFC 5880 6.8.6, after the packet-only checks of the codec and the demultiplexing. */
function receive(step: Step, p: BfdControlPacket): void {
  const s = step.s;
  if (p.auth !== undefined) return step.drop("authNotInUse");
  s.counters.packetsReceived++;
  s.remote = {
    discriminator: p.myDiscriminator, state: p.state, diag: p.diag, detectMult: p.detectMult, desiredMinTxUs: p.desiredMinTxUs,
    minRxUs: p.requiredMinRxUs, minEchoRxUs: p.requiredMinEchoRxUs, demand: p.demand,
  };
  if (p.final && s.polling) {
    s.polling = false;
    s.inEffect = s.advertised;
  }
  if (s.state === "adminDown") return step.drop("adminDown");
  if (p.state === "adminDown") {
    if (s.state !== "down") {
      step.setState("down", BfdDiag.neighborSignaledSessionDown);
      leaveUp(step);
    }
  } else {
    advance(step, p.state);
  }
  if (p.poll) step.send(true);
  resetDetection(step);
}

/** The three-way handshake and the remote's Down (RFC 5880 6.2, 6.8.6). */
function advance(step: Step, remote: BfdState): void {
  const s = step.s;
  if (s.state === "down") {
    if (remote === "down") step.setState("init", BfdDiag.none);
    else if (remote === "init") step.setState("up", BfdDiag.none);
  } else if (s.state === "init") {
    if (remote === "init" || remote === "up") step.setState("up", BfdDiag.none);
  } else if (s.state === "up" && remote === "down") {
    step.setState("down", BfdDiag.neighborSignaledSessionDown);
    leaveUp(step);
  }
}

function resetDetection(step: Step): void {
  const s = step.s;
  const us = detectionTimeUs(s.remote.detectMult, s.inEffect.requiredMinRxUs, s.remote.desiredMinTxUs);
  s.deadlines.detect = step.now + us / 1000;
}

/**
 * 6.8.3: the intervals we advertise follow the configuration and the state. A change while Up starts a Poll
 * Sequence (one at a time: a later change waits for the Final); meanwhile only the safe half takes effect (a faster
 * transmit, a slower receive). Outside Up a change applies at once.
 */
function reconcileIntervals(step: Step): void {
  const s = step.s;
  const wanted = wantedIntervals(s.config, s.state);
  const same = wanted.desiredMinTxUs === s.advertised.desiredMinTxUs && wanted.requiredMinRxUs === s.advertised.requiredMinRxUs;
  if (s.state !== "up") {
    if (!same) s.advertised = s.inEffect = wanted;
    return;
  }
  if (same || s.polling) return;
  s.inEffect = {
    desiredMinTxUs: Math.min(s.inEffect.desiredMinTxUs, wanted.desiredMinTxUs),
    requiredMinRxUs: Math.max(s.inEffect.requiredMinRxUs, wanted.requiredMinRxUs),
  };
  s.advertised = wanted;
  s.polling = true;
  s.counters.pollSequences++;
}

/** 6.8.7: whether periodic packets go out at all. */
function mayTransmitPeriodically(step: Step): boolean {
  const s = step.s;
  if (s.state === "adminDown") return s.adminDownSendUntil !== undefined && step.now < s.adminDownSendUntil;
  if (s.config.passive && s.remote.discriminator === 0) return false;
  if (s.remote.minRxUs === 0) return false;
  const remoteDemand = s.remote.demand && s.state === "up" && s.remote.state === "up";
  return !remoteDemand || s.polling;
}

/** Starts, stops or pulls in the transmit timer after a step: a first packet goes out at once. */
function retimeTransmit(step: Step): void {
  const d = step.s.deadlines;
  if (!mayTransmitPeriodically(step)) {
    delete d.transmit;
    return;
  }
  if (d.transmit === undefined) {
    step.send(false);
    d.transmit = step.nextTransmitAt();
    return;
  }
  const sooner = step.nextTransmitAt();
  if (sooner < d.transmit) d.transmit = sooner;
}
