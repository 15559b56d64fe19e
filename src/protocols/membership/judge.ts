// The watcher's judge (docs/design.md, "The probe protocol"), pure: state, input and time in; state and actions out.
// It pings each watched node every interval. A node silent for `suspectAfterMs` is suspected and two other watched
// nodes that are answering are asked to probe it; it is declared dead once it has been silent for `deadAfterMs`, the
// latest round of indirect probes found no reply either; a watcher whose own health says it is starved waits until
// `maxDeadAfterMs` of silence. Both timeouts widen with the worse of the target's reported and the watcher's own Lifeguard score, up to
// `maxDeadAfterMs` (lifeguard.ts). Any reply, direct or relayed, of the current incarnation or a later one clears
// the suspicion.
import { mayDeclareDead, widenedTimeout } from "../../projections/members/lifeguard.js";
import type { VerdictEvidence } from "../../projections/members/verdicts.js";
import type { MembershipSettings } from "../../projections/settings.js";

export type JudgedVerdict = { kind: "NodeSuspected" | "NodeDeclaredDead"; target: string; incarnation: number; evidence: VerdictEvidence };

export type JudgeSettings = {
  /** One ping per watched node per interval (the heartbeat interval). */
  intervalMs: number;
  suspectAfterMs: number;
  deadAfterMs: number;
  /** Lifeguard's bound: a target or watcher at the top score waits this long before a death verdict. */
  maxDeadAfterMs: number;
  /** How many other nodes are asked to probe a suspect. */
  indirectProbes: number;
  /** How long the watcher waits for the relays' answers; a relay that has not answered by then counts as no reply. */
  indirectTimeoutMs: number;
};

export const DEFAULT_JUDGE_SETTINGS: JudgeSettings = { intervalMs: 50, suspectAfterMs: 150, deadAfterMs: 250, maxDeadAfterMs: 700, indirectProbes: 2, indirectTimeoutMs: 100 };

/**
 * The judge's settings for a cluster's membership settings (every valid one gives valid judge settings): pings every
 * heartbeat interval, suspicion at the membership's suspect timeout (at least two pings), relays given two intervals,
 * and the death verdict one interval before the heartbeat design's dead timeout, since the verdict still has to go
 * through the log that heartbeats' own detection read directly (50/150/250/700 ms with the defaults).
 */
export function judgeSettingsFor(m: Pick<MembershipSettings, "heartbeatIntervalMs" | "suspectAfterMs" | "deadAfterMs" | "maxDeadAfterMs">): JudgeSettings {
  const intervalMs = m.heartbeatIntervalMs;
  const suspectAfterMs = Math.max(m.suspectAfterMs, 2 * intervalMs);
  const indirectTimeoutMs = 2 * intervalMs;
  const deadAfterMs = Math.max(m.deadAfterMs - intervalMs, suspectAfterMs + indirectTimeoutMs);
  return { intervalMs, suspectAfterMs, deadAfterMs, maxDeadAfterMs: Math.max(m.maxDeadAfterMs, deadAfterMs), indirectProbes: 2, indirectTimeoutMs };
}

/** Rejects settings that cannot work, naming the field. */
export function judgeSettingsProblems(s: JudgeSettings): string[] {
  const problems: string[] = [];
  const positive = (field: keyof JudgeSettings): void => {
    if (!(Number.isFinite(s[field]) && s[field] > 0)) problems.push(`${field}: ${s[field]} is not a positive number`);
  };
  for (const f of ["intervalMs", "suspectAfterMs", "deadAfterMs", "maxDeadAfterMs", "indirectTimeoutMs"] as const) positive(f);
  if (!(Number.isInteger(s.indirectProbes) && s.indirectProbes >= 0)) problems.push(`indirectProbes: ${s.indirectProbes} is not a whole number >= 0`);
  if (s.suspectAfterMs < 2 * s.intervalMs) problems.push(`suspectAfterMs: ${s.suspectAfterMs} must be at least two intervals (${2 * s.intervalMs}), or one lost ping makes a suspect`);
  if (s.deadAfterMs < s.suspectAfterMs + s.indirectTimeoutMs) problems.push(`deadAfterMs: ${s.deadAfterMs} must leave the indirect probes their ${s.indirectTimeoutMs} ms after suspectAfterMs (${s.suspectAfterMs})`);
  if (s.maxDeadAfterMs < s.deadAfterMs) problems.push(`maxDeadAfterMs: ${s.maxDeadAfterMs} is below deadAfterMs (${s.deadAfterMs})`);
  return problems;
}

type Round = { startedAt: number; answers: Record<string, boolean | null> };

export type TargetState = {
  readonly incarnation: number;
  readonly watchedSince: number;
  readonly lastReplyAt: number | null;
  readonly nextProbeAt: number;
  /** Pings sent since the last reply. */
  readonly probes: number;
  /** The score the target reported last (0 until it does). */
  readonly health: number;
  readonly reachesLog: boolean | null;
  readonly suspectedAt: number | null;
  /** Whether a NodeSuspected went out since the last direct reply: a node only relays reach is suspected once. */
  readonly suspicionReported: boolean;
  readonly round: Round | null;
  readonly dead: boolean;
};

/** `watcherReachesLog`: whether the watcher itself reaches the log now (a fenced watcher does not). */
export type JudgeState = { readonly targets: Readonly<Record<string, TargetState>>; readonly watcherHealth: number; readonly watcherReachesLog: boolean };

export type JudgeInput =
  | { kind: "watch"; now: number; targets: readonly { node: string; incarnation: number }[] }
  | { kind: "tick"; now: number }
  | { kind: "health"; score: number }
  | { kind: "log"; reaches: boolean }
  | { kind: "ack"; now: number; from: string; targetIncarnation: number; health: number; reachesLog: boolean }
  | { kind: "relayed"; now: number; via: string; target: string; replied: boolean; targetIncarnation: number; health: number; reachesLog: boolean };

export type JudgeAction =
  | { kind: "ping"; target: string }
  | { kind: "ping-req"; via: string; target: string }
  | { kind: "verdict"; verdict: JudgedVerdict };

export const initialJudge = (): JudgeState => ({ targets: {}, watcherHealth: 0, watcherReachesLog: true });

type Step = { state: JudgeState; actions: JudgeAction[] };

export function stepJudge(state: JudgeState, input: JudgeInput, settings: JudgeSettings = DEFAULT_JUDGE_SETTINGS): Step {
  switch (input.kind) {
    case "watch": return { state: { ...state, targets: watch(state.targets, input.targets, input.now) }, actions: [] };
    case "health": return { state: { ...state, watcherHealth: input.score }, actions: [] };
    case "log": return { state: { ...state, watcherReachesLog: input.reaches }, actions: [] };
    case "tick": return tick(state, input.now, settings);
    case "ack": return { state: reply(state, input.from, input, true), actions: [] };
    case "relayed": return { state: relayed(state, input), actions: [] };
  }
}

function fresh(incarnation: number, now: number): TargetState {
  return { incarnation, watchedSince: now, lastReplyAt: null, nextProbeAt: now, probes: 0, health: 0, reachesLog: null, suspectedAt: null, suspicionReported: false, round: null, dead: false };
}

function watch(old: JudgeState["targets"], targets: readonly { node: string; incarnation: number }[], now: number): JudgeState["targets"] {
  const next: Record<string, TargetState> = {};
  for (const t of targets) {
    const known = old[t.node];
    next[t.node] = known && known.incarnation === t.incarnation ? known : fresh(t.incarnation, now);
  }
  return next;
}

/** The two timeouts for a target, widened by Lifeguard: dead at `deadAt` of silence, suspect as much earlier as unwidened. */
export function timeoutsFor(target: Pick<TargetState, "health">, watcherHealth: number, s: JudgeSettings): { suspectAt: number; deadAt: number } {
  const deadAt = widenedTimeout(s.deadAfterMs, s.maxDeadAfterMs, target.health, watcherHealth);
  return { suspectAt: deadAt - (s.deadAfterMs - s.suspectAfterMs), deadAt };
}

/**
 * A reply counts as a sign of life when the node reaches the log, or when the watcher does not either (an outage
 * for both, which must change nothing). A node that answers but is cut off from the log has fenced itself and
 * answers for no VIP: for the membership it is as silent as a dead one.
 */
const countsAsLife = (state: JudgeState, r: { reachesLog: boolean }): boolean => r.reachesLog || !state.watcherReachesLog;

function reply(state: JudgeState, node: string, r: { now: number; targetIncarnation: number; health: number; reachesLog: boolean }, direct: boolean): JudgeState {
  const t = state.targets[node];
  // An older incarnation's answer says nothing about the node the log knows now.
  if (!t || t.dead || r.targetIncarnation < t.incarnation) return state;
  if (!countsAsLife(state, r)) return { ...state, targets: { ...state.targets, [node]: { ...t, health: r.health, reachesLog: false } } };
  const updated: TargetState = {
    ...t, lastReplyAt: r.now, probes: 0, health: r.health, reachesLog: r.reachesLog, suspectedAt: null, round: null,
    suspicionReported: direct ? false : t.suspicionReported,
  };
  return { ...state, targets: { ...state.targets, [node]: updated } };
}

function relayed(state: JudgeState, r: Extract<JudgeInput, { kind: "relayed" }>): JudgeState {
  const t = state.targets[r.target];
  if (!t?.round || !(r.via in t.round.answers)) return state;
  if (r.replied && countsAsLife(state, r)) return reply(state, r.target, r, false);
  const round = { ...t.round, answers: { ...t.round.answers, [r.via]: false } };
  return { ...state, targets: { ...state.targets, [r.target]: { ...t, round } } };
}

function tick(state: JudgeState, now: number, s: JudgeSettings): Step {
  const actions: JudgeAction[] = [];
  const targets: Record<string, TargetState> = { ...state.targets };
  for (const [node, t0] of Object.entries(state.targets)) {
    if (t0.dead) continue;
    let t = t0;
    if (now >= t.nextProbeAt) {
      actions.push({ kind: "ping", target: node });
      const next = t.nextProbeAt + s.intervalMs;
      t = { ...t, probes: t.probes + 1, nextProbeAt: next > now ? next : now + s.intervalMs };
    }
    t = judge(node, t, state, now, s, actions);
    targets[node] = t;
  }
  return { state: { ...state, targets }, actions };
}

function judge(node: string, t: TargetState, state: JudgeState, now: number, s: JudgeSettings, actions: JudgeAction[]): TargetState {
  const silence = now - (t.lastReplyAt ?? t.watchedSince);
  const { suspectAt, deadAt } = timeoutsFor(t, state.watcherHealth, s);
  if (silence < suspectAt) return t;
  // A round of indirect probes counts as evidence while it is recent; a watcher that was starved meanwhile asks again.
  if (!t.round || now - t.round.startedAt > s.deadAfterMs) {
    const round = { startedAt: now, answers: Object.fromEntries(relaysFor(node, state, s).map((via) => [via, null])) };
    for (const via of Object.keys(round.answers)) actions.push({ kind: "ping-req", via, target: node });
    t = { ...t, suspectedAt: t.suspectedAt ?? now, round };
    if (!t.suspicionReported) {
      actions.push({ kind: "verdict", verdict: verdictOf("NodeSuspected", node, t, state.watcherHealth) });
      t = { ...t, suspicionReported: true };
    }
    return t;
  }
  const roundDone = now - t.round.startedAt >= s.indirectTimeoutMs || Object.values(t.round.answers).every((a) => a === false);
  if (silence < deadAt || !roundDone) return t;
  // A starved watcher (its own timers late) waits for the widest timeout instead of its widened one, as a starved
  // claimant does in heartbeats mode: without a bound, a VIP whose watchers are all starved would wait for one to recover.
  if (!mayDeclareDead(state.watcherHealth) && silence < s.maxDeadAfterMs) return t;
  const verdict = verdictOf("NodeDeclaredDead", node, t, state.watcherHealth);
  if (!mayDeclareDead(state.watcherHealth)) verdict.evidence.starved = { silentForMs: Math.round(silence), widestMs: s.maxDeadAfterMs };
  actions.push({ kind: "verdict", verdict });
  return { ...t, dead: true };
}

/** Up to `indirectProbes` other watched nodes, those that answered most recently first (ties by name). */
function relaysFor(target: string, state: JudgeState, s: JudgeSettings): string[] {
  return Object.entries(state.targets)
    .filter(([n, t]) => n !== target && !t.dead && t.suspectedAt === null && t.lastReplyAt !== null)
    .sort(([a, x], [b, y]) => (y.lastReplyAt ?? 0) - (x.lastReplyAt ?? 0) || (a < b ? -1 : a > b ? 1 : 0))
    .slice(0, s.indirectProbes)
    .map(([n]) => n);
}

function verdictOf(kind: JudgedVerdict["kind"], target: string, t: TargetState, watcherHealth: number): JudgedVerdict {
  const indirect = Object.entries(t.round?.answers ?? {}).map(([via, replied]) => ({ via, replied: replied === true }));
  return { kind, target, incarnation: t.incarnation, evidence: { lastReplyAt: t.lastReplyAt, probes: t.probes, indirect, watcherHealth } };
}
