import { interfacesOf } from "../../projections/nodeFacts.js";
import type { Logger } from "pino";
import { startProbeEndpoint, type ProbeEndpoint, type ProbeTarget } from "../../adapters/probe/udpProbe.js";
import type { ProbeSocket } from "../../adapters/probe/probeSocket.js";
import { initialFence, stepFence, type FenceCause, type FenceInput, type FenceSettings, type FenceState } from "../../protocols/fence/fenceMachine.js";
import type { ProbeKeyring } from "../../protocols/fence/probeKeys.js";
import { rendezvousScore } from "../../projections/rendezvous.js";
import type { FenceAction } from "../../protocols/fence/fenceMachine.js";
import type { FenceEpisodes } from "./fenceReporter.js";
import type { SpeakerView } from "./view.js";

const MAX_PEERS_PROBED = 3;
const TICK_MS = 20;

export type FencingOptions = {
  node: string;
  /** This process's incarnation: the probes carry it, so a restarted node's nonces never repeat an old one's. */
  incarnation: number;
  view: SpeakerView;
  /** The EVENTS stream's last sequence as the server reports it now. */
  eventsLastSeq: () => Promise<number>;
  settings: FenceSettings;
  port: number;
  /** The probe socket shared with the membership prober (probeSocket.ts); without it fencing binds `port` itself. */
  socket?: ProbeSocket;
  /** The probe keys in force (a watched key file, or the well-known key of --insecure-probes). */
  keys: () => ProbeKeyring;
  log: Logger;
  onChange: () => void;
  /** Told when an episode begins and ends, to put it on the log. */
  onEpisode?: FenceEpisodes;
};

/** Drives the fencing machine from the speaker's log activity, a timer and UDP answers from peers. */
export class Fencing {
  private state: FenceState = initialFence(performance.now());
  private endpoint: ProbeEndpoint | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;

  /** While fenced: the EVENTS sequence the server reported once the log came back; unfence only past it. */
  private catchUpTarget: number | null = null;
  private askingTarget = false;

  private readonly node: string;
  private readonly view: SpeakerView;
  private readonly settings: FenceSettings;
  private readonly log: Logger;

  constructor(private readonly opts: FencingOptions) {
    this.node = opts.node;
    this.view = opts.view;
    this.settings = opts.settings;
    this.log = opts.log;
  }

  /** Times this speaker fenced itself, by cause. */
  readonly episodes: Record<FenceCause, number> = { isolated: 0, "cut-off": 0 };

  get fenced(): boolean {
    return this.state.fenced;
  }

  /** How long ago this speaker last heard the log (a batch, or in verdicts mode the server's pulse). */
  get logAgeMs(): number {
    return Math.max(0, performance.now() - this.state.lastLogAt);
  }

  get counters(): ProbeEndpoint["counters"] | null {
    return this.endpoint?.counters ?? null;
  }

  async start(): Promise<void> {
    this.endpoint = await startProbeEndpoint({
      node: this.node,
      incarnation: this.opts.incarnation,
      port: this.opts.port,
      ...(this.opts.socket ? { socket: this.opts.socket } : {}),
      keys: this.opts.keys,
      log: this.log,
      answerFor: (asker) => this.answerFor(asker),
      onAnswer: (a) => this.step({ kind: "answer", now: performance.now(), nonce: a.nonce, from: a.from, peerLogAgeMs: a.logAgeMs, askerSilentMs: a.askerSilentMs }),
    });
    this.timer = setInterval(() => this.step({ kind: "tick", now: performance.now(), peers: this.peers().length }), TICK_MS);
  }

  /**
   * Called for every batch from either stream. A fenced speaker unfences only once it has read EVENTS up to the
   * sequence the server reports after the log came back: an older view could still name it the owner of VIPs
   * that others claimed meanwhile.
   */
  logActivity(): void {
    if (!this.state.fenced) {
      this.step({ kind: "log", now: performance.now(), caughtUp: this.view.ready });
      return;
    }
    if (this.catchUpTarget === null && !this.askingTarget) {
      this.askingTarget = true;
      this.opts.eventsLastSeq()
        .then((seq) => (this.catchUpTarget = seq))
        .catch(() => undefined)
        .finally(() => (this.askingTarget = false));
    }
    const caughtUp = this.catchUpTarget !== null && this.view.log.seq >= this.catchUpTarget;
    this.step({ kind: "log", now: performance.now(), caughtUp });
    if (!this.state.fenced) this.catchUpTarget = null;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.endpoint?.close();
  }

  private step(input: FenceInput): void {
    const { state, actions } = stepFence(this.state, input, this.settings);
    this.state = state;
    for (const action of actions) {
      if (action.kind === "probe") this.endpoint?.send(action.nonce, this.peers());
      else if (action.kind === "fence") {
        this.episodes[action.cause]++;
        this.log.warn({ reason: action.reason }, "fenced: stopped answering");
      }
      else this.log.info({ reason: action.reason }, "unfenced");
      if (action.kind !== "probe") this.opts.onChange();
    }
    this.reportEpisodes(actions);
  }

  private reportEpisodes(actions: readonly FenceAction[]): void {
    for (const action of actions) {
      if (action.kind === "fence") this.opts.onEpisode?.entered(action.reason);
      else if (action.kind === "unfence") this.opts.onEpisode?.left(action.reason);
    }
  }

  private answerFor(asker: string): { logAgeMs: number; askerSilentMs: number } {
    // In verdicts mode the asker is judged by its watchers' probes, which it still answers (it is asking over the same
    // socket), so nobody is about to declare it dead: its silence on the log is not this speaker's to report.
    if (this.view.mode === "verdicts") return { logAgeMs: Math.max(0, performance.now() - this.state.lastLogAt), askerSilentMs: 0 };
    const members = this.view.members;
    const record = members.nodes[asker];
    // Silence that counts: while this view is in its post-outage grace nobody will be declared dead, so a node
    // that is merely reconnecting late must not fence itself.
    const graceLeft = Math.max(0, members.graceUntilLive - members.live);
    return {
      logAgeMs: Math.max(0, performance.now() - this.state.lastLogAt),
      askerSilentMs: record ? Math.max(0, members.live - record.lastHeardLive - graceLeft) : 1e9,
    };
  }

  private peerCache: { members: object; epoch: number; facts: unknown; peers: ProbeTarget[] } | null = null;

  /**
   * Up to three peers, a stable choice per node, reachable at an IPv4 address they reported (nodeFacts.ts). Kept
   * while the membership's epoch (statuses, joins) and the node facts stay the same: a tick every 20 ms sorted every
   * node by a hash (1.7 % of a lab speaker's CPU at 53 nodes, O(n log n) hashes per tick).
   */
  private peers(): ProbeTarget[] {
    const members = this.view.planMembers;
    const facts = this.view.log.nodeFacts;
    const hit = this.peerCache;
    if (hit?.members === members && hit.epoch === members.epoch && hit.facts === facts) return hit.peers;
    const peers = this.choosePeers();
    this.peerCache = { members, epoch: members.epoch, facts, peers };
    return peers;
  }

  private choosePeers(): ProbeTarget[] {
    return Object.values(this.view.planMembers.nodes)
      .filter((m) => m.node !== this.node && m.status !== "dead")
      .sort((a, b) => rendezvousScore(this.node, b.node) - rendezvousScore(this.node, a.node))
      .flatMap((m) => {
        const address = interfacesOf(this.view.log, m).filter((i) => i.up).flatMap((i) => i.addresses).find((a) => !a.includes(":"));
        return address ? [{ node: m.node, address: address.split("/")[0] ?? "" }] : [];
      })
      .slice(0, MAX_PEERS_PROBED);
  }
}
