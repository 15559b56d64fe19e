import type { RemoteInfo } from "node:dgram";
import type { Logger } from "pino";
import { ProbeDrop, ProbeReplayWindow, type ProbeDropReason } from "../../protocols/fence/probeGuard.js";
import type { ProbeKeyring } from "../../protocols/fence/probeKeys.js";
import { DEFAULT_JUDGE_SETTINGS, initialJudge, judgeSettingsProblems, stepJudge, type JudgeAction, type JudgedVerdict, type JudgeInput, type JudgeSettings } from "../../protocols/membership/judge.js";
import { encodeMember, isMemberType, type MemberMessage, type MemberPingRequest, type TargetReport } from "../../protocols/membership/memberCodec.js";
import { initialProberHealth, judgingScore, recordTick, reportedScore } from "../../protocols/membership/proberHealth.js";
import { DEFAULT_GUARD_SETTINGS, OutstandingProbes, type ProbePurpose } from "../../protocols/membership/memberGuard.js";
import { authenticateMember, sendingSigner } from "./probeAuth.js";
import { dropCounter, noDrops } from "./probeDrops.js";
import { openProbeSocket, type ProbeSocket } from "./probeSocket.js";

// The membership prober (docs/design.md, "The probe protocol"): drives the pure judge with a 10 ms timer and UDP,
// answers other watchers' pings and ping-requests, and hands the judge's verdicts to whoever publishes them.

export type WatchedTarget = { node: string; address: string; incarnation: number; /** Its probe port; default this prober's. */ port?: number };

export type MemberProberOptions = {
  node: string;
  /** This process's incarnation (its start time in ms, as in its heartbeats): acks report it, answers must echo it. */
  incarnation: number;
  /** The socket fencing uses (shared: membership takes types 3-6); without it the prober binds its own on `port`. */
  socket?: ProbeSocket;
  port?: number;
  keys: () => ProbeKeyring;
  /** Whether this node reaches the log now (its acks say so). */
  reachesLog: () => boolean;
  /** This speaker's Lifeguard score (localHealth.ts), reported in acks with how late the prober's own timer runs. */
  localHealth?: () => number;
  settings?: Partial<JudgeSettings>;
  log: Logger;
};

export type MemberProberCounters = {
  pingsSent: number;
  acksReceived: number;
  pingsAnswered: number;
  indirectSent: number;
  indirectAnswers: number;
  relayed: number;
  sendErrors: number;
  dropped: Record<ProbeDropReason, number>;
  verdicts: Record<JudgedVerdict["kind"], number>;
};

export type MemberProber = {
  setWatched(targets: readonly WatchedTarget[]): void;
  onVerdict(cb: (v: JudgedVerdict) => void): void;
  /** The score its acks report: the worse of the speaker's and its own timer's over the last second. */
  health(): number;
  readonly counters: MemberProberCounters;
  readonly port: number;
  stop(): Promise<void>;
};

const TICK_MS = 10;
/** The judge runs on the monotonic clock (a wall clock step must not fire or stall a timeout)... */
const clock = (): number => performance.now();
/** ...and its evidence is read next to the log's timestamps, so a verdict carries wall time (epoch ms). */
function onWallClock(v: JudgedVerdict): JudgedVerdict {
  const last = v.evidence.lastReplyAt;
  return last === null ? v : { ...v, evidence: { ...v.evidence, lastReplyAt: Date.now() - (performance.now() - last) } };
}

export async function startMemberProber(opts: MemberProberOptions): Promise<MemberProber> {
  const settings = { ...DEFAULT_JUDGE_SETTINGS, ...opts.settings };
  const problems = judgeSettingsProblems(settings);
  if (problems.length > 0) throw new Error(`membership probe settings: ${problems.join("; ")}`);
  const sign = (m: MemberMessage): Uint8Array => {
    const keyring = opts.keys();
    return encodeMember(m, keyring.sendId, sendingSigner(keyring));
  };
  sign({ t: "ping", from: opts.node, to: opts.node, incarnation: opts.incarnation, nonce: 0 }); // a name the wire cannot carry fails at start
  const own = opts.socket ? null : await openProbeSocket(opts.port ?? 0, opts.log);
  const socket = opts.socket ?? (own as ProbeSocket);
  const counters: MemberProberCounters = { pingsSent: 0, acksReceived: 0, pingsAnswered: 0, indirectSent: 0, indirectAnswers: 0, relayed: 0, sendErrors: 0, dropped: noDrops(), verdicts: { NodeSuspected: 0, NodeDeclaredDead: 0 } };
  const drop = dropCounter(counters.dropped, opts.log, "membership probe dropped");
  const outstanding = new OutstandingProbes(opts.node, opts.incarnation, { ...DEFAULT_GUARD_SETTINGS, relayTimeoutMs: Math.max(1, settings.indirectTimeoutMs - 20) });
  const requests = new ProbeReplayWindow();
  const listeners: ((v: JudgedVerdict) => void)[] = [];
  const addresses = new Map<string, { address: string; port: number }>();
  let judge = initialJudge();
  const healthSettings = { tickMs: TICK_MS, intervalMs: settings.intervalMs, deadAfterMs: settings.deadAfterMs };
  let timerHealth = initialProberHealth(clock());

  const send = (m: MemberMessage, to: { address: string; port: number }): void =>
    socket.send(sign(m), to.port, to.address, (err) => {
      if (err) counters.sendErrors++;
    });
  const health = (): number => Math.max(opts.localHealth?.() ?? 0, reportedScore(timerHealth));

  const step = (input: JudgeInput): void => {
    const { state, actions } = stepJudge(judge, input, settings);
    judge = state;
    for (const a of actions) act(a);
  };
  const act = (a: JudgeAction): void => {
    const now = clock();
    if (a.kind === "verdict") {
      const v = onWallClock(a.verdict);
      counters.verdicts[v.kind]++;
      opts.log.info({ verdict: v.kind, target: v.target, incarnation: v.incarnation, evidence: v.evidence }, "membership verdict judged");
      for (const cb of listeners) cb(v);
      return;
    }
    const target = addresses.get(a.target);
    if (!target) return;
    if (a.kind === "ping") {
      counters.pingsSent++;
      const nonce = outstanding.sent({ kind: "direct", target: a.target }, now);
      return send({ t: "ping", from: opts.node, to: a.target, incarnation: opts.incarnation, nonce }, target);
    }
    const via = addresses.get(a.via);
    if (!via) return;
    counters.indirectSent++;
    const nonce = outstanding.sent({ kind: "indirect", via: a.via, target: a.target }, now);
    send({ t: "ping-req", from: opts.node, to: a.via, incarnation: opts.incarnation, nonce, target: a.target, ...target }, via);
  };

  const report = (): TargetReport => ({ targetIncarnation: opts.incarnation, health: health(), reachesLog: opts.reachesLog() });
  const answerRelay = (p: Extract<ProbePurpose, { kind: "relay" }>, ack: TargetReport | null): void => {
    const r: TargetReport = ack ? { targetIncarnation: ack.targetIncarnation, health: ack.health, reachesLog: ack.reachesLog } : { targetIncarnation: 0, health: 0, reachesLog: false };
    send({ t: "relayed", from: opts.node, to: p.asker, incarnation: p.askerIncarnation, nonce: p.askerNonce, target: p.target, replied: ack !== null, ...r }, { address: p.askerAddress, port: p.askerPort });
  };

  const relay = (m: MemberPingRequest, from: RemoteInfo): void => {
    if (m.target === opts.node) return drop(ProbeDrop.misdirected, from, `a ping-request from ${m.from} to probe this node itself`);
    counters.relayed++;
    const nonce = outstanding.sent({ kind: "relay", target: m.target, asker: m.from, askerAddress: from.address, askerPort: from.port, askerIncarnation: m.incarnation, askerNonce: m.nonce }, clock());
    send({ t: "ping", from: opts.node, to: m.target, incarnation: opts.incarnation, nonce }, m);
  };

  const receive = (bytes: Buffer, from: RemoteInfo): void => {
    const result = authenticateMember(bytes, opts.keys());
    if (!result.ok) return drop(result.reason, from, result.detail);
    const m = result.message;
    if (m.t === "ping" || m.t === "ping-req") {
      if (m.to !== opts.node) return drop(ProbeDrop.misdirected, from, `a ${m.t} from ${m.from} for ${m.to}`);
      if (!requests.accept(m)) return drop(ProbeDrop.replay, from, `${m.t} from ${m.from}, incarnation ${m.incarnation}, nonce ${m.nonce} seen before`);
      if (m.t === "ping-req") return relay(m, from);
      counters.pingsAnswered++;
      return send({ t: "ack", from: opts.node, to: m.from, incarnation: m.incarnation, nonce: m.nonce, ...report() }, from);
    }
    const what = `${m.t} from ${m.from} to ${m.to}, incarnation ${m.incarnation}, nonce ${m.nonce}`;
    if (m.t === "ack") {
      const purpose = outstanding.takeAck(m);
      if (typeof purpose === "string") return drop(purpose, from, what);
      if (purpose.kind === "relay") return answerRelay(purpose, m);
      counters.acksReceived++;
      return step({ kind: "ack", now: clock(), from: m.from, targetIncarnation: m.targetIncarnation, health: m.health, reachesLog: m.reachesLog });
    }
    const purpose = outstanding.takeRelayed(m);
    if (typeof purpose === "string") return drop(purpose, from, what);
    counters.indirectAnswers++;
    step({ kind: "relayed", now: clock(), via: m.from, target: m.target, replied: m.replied, targetIncarnation: m.targetIncarnation, health: m.health, reachesLog: m.reachesLog });
  };

  const unroute = socket.route(own ? null : isMemberType, receive);
  const timer = setInterval(() => {
    const now = clock();
    timerHealth = recordTick(timerHealth, now, healthSettings);
    step({ kind: "health", score: judgingScore(timerHealth) });
    step({ kind: "log", reaches: opts.reachesLog() });
    step({ kind: "tick", now });
    for (const p of outstanding.dueRelays(now)) answerRelay(p, null);
  }, TICK_MS);

  let stopped: Promise<void> | null = null;
  return {
    counters,
    port: socket.port,
    setWatched(targets) {
      addresses.clear();
      const watched = targets.filter((t) => t.node !== opts.node);
      for (const t of watched) addresses.set(t.node, { address: t.address, port: t.port ?? socket.port });
      step({ kind: "watch", now: clock(), targets: watched });
    },
    onVerdict: (cb) => void listeners.push(cb),
    health,
    stop: () => (stopped ??= (async () => {
      clearInterval(timer);
      unroute();
      await own?.close();
    })()),
  };
}
