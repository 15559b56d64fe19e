import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { startMemberProber, type MemberProber, type WatchedTarget } from "../../adapters/probe/memberProber.js";
import type { ProbeSocket } from "../../adapters/probe/probeSocket.js";
import type { ProbeKeyring } from "../../protocols/fence/probeKeys.js";
import { judgeSettingsFor } from "../../protocols/membership/judge.js";
import type { LogState } from "../../projections/logState.js";
import { verdictsOf, watcherRoster } from "../../projections/members/verdictMembership.js";
import { watchedBy } from "../../projections/members/watchers.js";
import type { MembershipSettings } from "../../projections/settings.js";
import { VerdictPublisher, type JudgedVerdict } from "./verdictPublisher.js";
import type { SpeakerView } from "./view.js";

// The speaker's side of `--membership verdicts` (design.md, "Membership: watchers and verdicts"): whom this node
// watches follows from the view (watchers.ts), the prober probes them directly and through others, its verdicts go to
// the log (verdictPublisher.ts), and a suspicion of this node is refuted with NodeAlive at a higher incarnation.

export type VerdictWatchOptions = {
  node: string;
  /** This process's incarnation (its facts'); the prober's acks carry it. */
  incarnation: number;
  view: SpeakerView;
  js: JetStreamClient;
  /** The probe socket fencing uses too (membership takes its message types, probeSocket.ts). */
  socket: ProbeSocket;
  keys: () => ProbeKeyring;
  /** Whether this speaker reaches the log now (not fenced): its acks say so. */
  reachesLog: () => boolean;
  /**
   * Whether this speaker may judge now: it hears the log. A watcher cut off from everything (a pulled cable) finds every
   * node it watches silent; its verdicts, buffered by the client, would reach the log when the cable is back and
   * declare healthy nodes dead.
   */
  mayJudge: () => boolean;
  /** This speaker's Lifeguard score (localHealth.ts). */
  localHealth: () => number;
  settings: MembershipSettings;
  log: Logger;
};

export type VerdictWatch = {
  /** Called after every view change: re-derives whom to watch and refutes a suspicion of this node. */
  update(): void;
  readonly publisher: VerdictPublisher;
  readonly prober: MemberProber;
  watched(): readonly string[];
  stop(): Promise<void>;
};

export async function startVerdictWatch(opts: VerdictWatchOptions): Promise<VerdictWatch> {
  const { view, node, log } = opts;
  const judge = judgeSettingsFor(opts.settings);
  const prober = await startMemberProber({
    node, incarnation: opts.incarnation, socket: opts.socket, keys: opts.keys, reachesLog: opts.reachesLog, localHealth: opts.localHealth, settings: judge, log: log.child({ part: "member-prober" }),
  });
  const publisher = new VerdictPublisher(opts.js, node, log);
  let inputs: unknown[] = [];
  let watchedText = "";
  let watchedNodes: string[] = [];
  let watchedTargets: WatchedTarget[] = [];

  // The judge judges a process (the incarnation of its facts, which its acks carry); the log's verdict incarnation can
  // be higher after the node refuted a suspicion, and a verdict must name that one.
  // A death verdict that lost the race to a suspicion (or to a verdict the projection refused) is tried again against
  // the view once the winner is in it, a few times; one already there is not sent (publisher.submit).
  const submit = (v: JudgedVerdict, attempt: number): void => {
    if (!opts.mayJudge()) {
      // Not sent; and the judge, which has given the node up, starts over on it (a fresh watch, as after a rejoin).
      log.debug({ verdict: v.kind, target: v.target }, "verdict not published: this speaker does not hear the log");
      prober.setWatched(watchedTargets.filter((t) => t.node !== v.target));
      prober.setWatched(watchedTargets);
      return;
    }
    const state = view.log;
    if (state.nodeFacts?.[v.target]?.incarnation !== v.incarnation) return;
    const known = verdictsOf(state).targets[v.target];
    if (!known) return;
    void publisher.submit({ ...v, incarnation: known.incarnation }, state).then((r) => {
      if (r && !r.ok && r.conflict && v.kind === "NodeDeclaredDead" && attempt < 5) setTimeout(() => submit(v, attempt + 1), 50);
    });
  };
  prober.onVerdict((v: JudgedVerdict) => submit(v, 0));

  const update = (): void => {
    if (!view.logCaughtUp) return;
    const state = view.log;
    refuteIfSuspected(state);
    // Whom to watch changes only with joins, verdicts, leaves, claims and the configuration.
    const now = [state.verdicts, state.nodeFacts, state.left, state.vips, state.config];
    if (now.length === inputs.length && now.every((x, i) => x === inputs[i])) return;
    inputs = now;
    const members = view.planMembers;
    const targets = watchedBy(node, watcherRoster(state, members), state, members, opts.settings).flatMap((t) => targetOf(state, t));
    const text = JSON.stringify(targets);
    if (text === watchedText) return;
    watchedText = text;
    watchedNodes = targets.map((t) => t.node);
    watchedTargets = targets;
    log.info({ watched: watchedNodes }, "watching");
    prober.setWatched(targets);
  };

  const refuteIfSuspected = (state: LogState): void => {
    const self = verdictsOf(state).targets[node];
    if (!self || self.status === "alive" || state.nodeFacts?.[node]?.incarnation !== opts.incarnation) return;
    void publisher.refute(state, prober.health()).then((r) => {
      if (r?.ok) log.warn({ was: self.status, by: self.by }, "refuted a verdict on this node");
    });
  };

  return { update, publisher, prober, watched: () => watchedNodes, stop: () => prober.stop() };
}

/** A watched node with the IPv4 address it reported (as fencing's peers) and its process incarnation. */
function targetOf(state: LogState, node: string): WatchedTarget[] {
  const facts = state.nodeFacts?.[node];
  const address = facts?.interfaces.filter((i) => i.up).flatMap((i) => i.addresses).find((a) => !a.includes(":"));
  return facts && address ? [{ node, address: address.split("/")[0] ?? "", incarnation: facts.incarnation }] : [];
}
