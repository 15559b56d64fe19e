// Fencing as a pure state machine. A speaker that stops hearing the log must tell "I am cut off while the others
// can still write" (stop answering before they claim my VIPs) from "the log is away for everyone" (keep answering:
// ownership is frozen until it returns). The log cannot tell it, so peers are asked directly.

export type FenceSettings = {
  /** Log silence (no message from either stream) after which this speaker asks its peers. */
  logSilentAfterMs: number;
  /** How often probes are repeated while the log stays silent. */
  probeEveryMs: number;
  /** How long to wait for answers before treating the round as unanswered. */
  probeTimeoutMs: number;
  /** A peer whose log is at most this old still reaches the log. */
  peerFreshMs: number;
  /** A peer that has not heard this node's heartbeats for this long will soon declare it dead. */
  askerSilentMs: number;
  /**
   * Ticks this far apart mean this process was stalled (CPU starvation, GC, start-up): the log silence it measured
   * is its own, its messages are waiting in the socket, so the silence starts over instead of fencing.
   */
  localStallMs: number;
};

export const DEFAULT_FENCE_SETTINGS: FenceSettings = {
  logSilentAfterMs: 120,
  probeEveryMs: 40,
  probeTimeoutMs: 60,
  peerFreshMs: 100,
  askerSilentMs: 80,
  localStallMs: 100,
};

export type FenceState = {
  fenced: boolean;
  reason: string | null;
  lastLogAt: number;
  /** When the last tick came; null before the first. */
  lastTickAt: number | null;
  /**
   * The probing of the current log silence: the latest probe, the first of the silence (answers to any probe since
   * count as answered; only one to the latest may fence as cut-off) and since when no peer has answered. Probes repeat
   * every probeEveryMs, so the wait for an answer must outlive a re-probe: before, each re-probe restarted it, and
   * with probes every 40 ms and a 60 ms timeout an isolated node fenced only when its timer happened to run late.
   */
  round: { nonce: number; firstNonce: number; sentAt: number; unansweredSince: number | null; peers: number; outageConfirmed: boolean } | null;
  nextNonce: number;
};

export type FenceInput =
  | { kind: "log"; now: number; caughtUp: boolean }
  | { kind: "tick"; now: number; peers: number }
  | { kind: "answer"; now: number; nonce: number; from: string; peerLogAgeMs: number; askerSilentMs: number };

export type FenceAction =
  | { kind: "probe"; nonce: number }
  | { kind: "fence"; reason: string; cause: FenceCause }
  | { kind: "unfence"; reason: string };

export const initialFence = (now: number): FenceState => ({ fenced: false, reason: null, lastLogAt: now, lastTickAt: null, round: null, nextNonce: 1 });

type Step = { state: FenceState; actions: FenceAction[] };

/** Why a speaker fenced: nobody answered (isolated), or a peer that still reaches the log no longer hears it (cut-off). */
export type FenceCause = "isolated" | "cut-off";

const fence = (state: FenceState, reason: string, cause: FenceCause): Step => ({ state: { ...state, fenced: true, reason, round: null }, actions: [{ kind: "fence", reason, cause }] });

export function stepFence(state: FenceState, input: FenceInput, s: FenceSettings): Step {
  switch (input.kind) {
    case "log": {
      const next = { ...state, lastLogAt: input.now, round: null };
      if (state.fenced && input.caughtUp) return { state: { ...next, fenced: false, reason: null }, actions: [{ kind: "unfence", reason: "the log is back and caught up" }] };
      return { state: state.fenced ? { ...state, lastLogAt: input.now } : next, actions: [] };
    }
    case "tick":
      return onTick(state, input, s);
    case "answer":
      return onAnswer(state, input, s);
  }
}

function onTick(previous: FenceState, input: Extract<FenceInput, { kind: "tick" }>, s: FenceSettings): Step {
  const stalled = previous.lastTickAt !== null && input.now - previous.lastTickAt >= s.localStallMs;
  const state = { ...previous, lastTickAt: input.now };
  if (stalled && !state.fenced) return { state: { ...state, lastLogAt: Math.max(state.lastLogAt, input.now), round: null }, actions: [] };
  if (state.fenced || input.peers === 0 || input.now - state.lastLogAt < s.logSilentAfterMs) return { state, actions: [] };
  const round = state.round;
  // Isolation is judged until peers have confirmed an outage for everyone in this silence: after that nobody can
  // claim until the log is back, and a peer answering late (a loaded machine) must not fence anyone.
  if (round && !round.outageConfirmed && round.unansweredSince !== null && input.now - round.unansweredSince >= s.probeTimeoutMs) {
    return fence(state, `the log is silent for ${Math.round(input.now - state.lastLogAt)} ms and no peer answers: isolated`, "isolated");
  }
  if (round && input.now - round.sentAt < s.probeEveryMs) return { state, actions: [] };
  const nonce = state.nextNonce;
  const next = { nonce, firstNonce: round?.firstNonce ?? nonce, sentAt: input.now, unansweredSince: round ? (round.unansweredSince ?? input.now) : input.now, peers: input.peers, outageConfirmed: round?.outageConfirmed ?? false };
  return { state: { ...state, nextNonce: nonce + 1, round: next }, actions: [{ kind: "probe", nonce }] };
}

function onAnswer(state: FenceState, input: Extract<FenceInput, { kind: "answer" }>, s: FenceSettings): Step {
  const round = state.round;
  if (state.fenced || !round || input.nonce < round.firstNonce || input.nonce > round.nonce) return { state, actions: [] };
  if (input.nonce === round.nonce && input.peerLogAgeMs <= s.peerFreshMs && input.askerSilentMs >= s.askerSilentMs) {
    return fence(state, `${input.from} still reaches the log (${Math.round(input.peerLogAgeMs)} ms ago) and has not heard this node for ${Math.round(input.askerSilentMs)} ms`, "cut-off");
  }
  const outageConfirmed = round.outageConfirmed || input.peerLogAgeMs > s.peerFreshMs;
  return { state: { ...state, round: { ...round, unansweredSince: null, outageConfirmed } }, actions: [] };
}
