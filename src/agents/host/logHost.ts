import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { closeNats, DEFAULT_PING_INTERVAL_MS, settledWithin } from "../../adapters/nats/connect.js";
import { connectSwappableUnlessStopped } from "../../adapters/nats/connectSwappable.js";
import { followStream, type Follower } from "../../adapters/nats/follow.js";
import { openGuardedLog } from "../../adapters/nats/logGuard.js";
import type { NatsClientSecurity } from "../../adapters/nats/security.js";
import { SnapshotStore, type SnapshotKey } from "../../adapters/nats/snapshots.js";
import type { SwappableConnection } from "../../adapters/nats/swappableConnection.js";
import type { StreamSettings } from "../../adapters/nats/streams.js";
import { STREAMS } from "../../events/types.js";
import type { LogState } from "../../projections/logState.js";
import type { PartHealth } from "../health/partHealth.js";
import { reportOpened } from "../health/reportOpened.js";
import { SnapshotAudit } from "../snapshotAudit.js";
import type { LogView } from "./logView.js";
import { resolveStart } from "./startPoint.js";

// The one place of a process that reads the log live (issue 12): one NATS connection, the stream checks (logGuard),
// the start point (a verified snapshot or the beginning), one view of both streams with one meaning of "caught up"
// (follow.ts: the position the stream had at start or reconnect), the snapshot cadence and the snapshot audit. The
// process's agents (speaker, allocator, ingest, status writers) are reactors on it: they read `view` and are told
// after every batch it applied. Before, each agent connected, checked the streams, loaded a snapshot and replayed
// the log on its own: a speaker pod replayed it twice, a controller three times.

export type LogHostOptions<V extends LogView = LogView> = {
  /** The connection's name at the server (`vipmesh-speaker-node1`). */
  name: string;
  natsServers: string[];
  /** Credentials and TLS for NATS (src/adapters/nats/security.ts); anonymous without. */
  natsSecurity?: NatsClientSecurity;
  streams: StreamSettings;
  /** The snapshot key the process's role reads and writes (the server lets each role write only its own). */
  snapshotKey: SnapshotKey;
  /** Store a snapshot every this many EVENTS messages once caught up. */
  snapshotEveryEvents: number;
  /** Follow HEARTBEATS too (membership), from this far back; without, the view's membership is never read. */
  heartbeats: boolean;
  /** The process's view, made from the start point's state. */
  makeView: (start: LogState) => V;
  log: Logger;
};

/** Called after the view applied a batch of EVENTS (`before`: its log state until then) or of HEARTBEATS. */
export type HostListener = { events?: (before: LogState) => void; heartbeats?: () => void };

/** How far back a new view reads HEARTBEATS: enough for every live node's latest beat and facts. */
const HEARTBEATS_SINCE_MS = 10_000;

export class LogHost<V extends LogView = LogView> {
  /** One connection for the whole process; a credential renewal swaps the one under it (swappableConnection.ts). */
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  private readonly listeners = new Set<HostListener>();
  private readonly stopFollowing = new AbortController();
  private readonly follows: Follower[] = [];
  private lastSnapshotSeq: number;
  private readonly startSeq: number;
  private audit: SnapshotAudit | null = null;
  private closed: Promise<void> | null = null;
  /** The followers by stream (a process's liveness: each still runs). */
  readonly followers: Record<string, Follower> = {};

  private constructor(
    private readonly link: SwappableConnection,
    readonly view: V,
    readonly from: "snapshot" | "start",
    private readonly snapshots: SnapshotStore,
    private readonly opts: LogHostOptions<V>,
  ) {
    ({ nc: this.nc, js: this.js, jsm: this.jsm } = link);
    this.lastSnapshotSeq = this.startSeq = view.log.seq;
  }

  /**
   * Connects, waits for a log that is not weakened, finds the start point and follows the streams. Null when
   * `signal` aborted first.
   */
  static async open<V extends LogView>(opts: LogHostOptions<V>, signal: AbortSignal): Promise<LogHost<V> | null> {
    const { log } = opts;
    const link = await connectSwappableUnlessStopped({ servers: opts.natsServers, ...(opts.natsSecurity ? { security: opts.natsSecurity } : {}), name: opts.name, pingIntervalMs: DEFAULT_PING_INTERVAL_MS, log, signal });
    if (!link) return null;
    const { nc, jsm } = link;
    if (!(await openGuardedLog(nc, jsm, opts.streams, log, signal))) {
      await nc.close();
      return null;
    }
    const snapshots = await SnapshotStore.open(nc, opts.snapshotKey, log);
    const start = await resolveStart(jsm, snapshots, log);
    const host = new LogHost(link, opts.makeView(start.state), start.from, snapshots, opts);
    await host.follow();
    return host;
  }

  /** The last EVENTS sequence the start point covered (0: from the beginning). */
  get fromSeq(): number {
    return this.startSeq;
  }

  /** Replays of EVENTS that disproved the view (a forged or corrupt snapshot). */
  get snapshotMismatches(): number {
    return this.audit?.mismatches ?? 0;
  }

  /** Adds a reactor; returns the way to remove it. It is told of batches applied from now on. */
  subscribe(listener: HostListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** An agent's health facts from now on: this connection and followers, and `caughtUp` as the agent defines it on the view. */
  report(health: PartHealth, caughtUp: () => boolean, fenced?: () => boolean): void {
    reportOpened(health, { nc: this.nc, followers: this.followers, caughtUp, ...(fenced ? { fenced } : {}) });
  }

  /** Stops following (saving a last snapshot) and closes the connection; once, whoever asks. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.audit?.stop();
      await settledWithin(this.snapshots.save(this.view.log, this.view.logAtHead), 1_000);
      this.stopFollowing.abort();
      await closeNats(this.nc);
      await Promise.allSettled(this.follows.map((f) => f.done));
    })();
    return this.closed;
  }

  private async follow(): Promise<void> {
    const { nc, js, jsm, view } = this;
    const signal = this.stopFollowing.signal;
    this.audit = new SnapshotAudit({
      link: this.link, log: this.opts.log, state: { get: () => view.log, set: (s) => void (view.log = s) }, caughtUp: () => view.logCaughtUp, fromSnapshot: this.from === "snapshot",
      onRebuilt: () => this.tellEvents(view.log), store: this.snapshots,
    });
    const events = await followStream({
      nc, js, jsm, stream: STREAMS.events, start: { seq: view.log.seq + 1 }, maxBatch: 1_000, signal,
      onBatch: (batch, caughtUp) => {
        const before = view.log;
        view.applyLog(batch, caughtUp);
        this.maybeSnapshot();
        this.tellEvents(before);
      },
    });
    this.followers[STREAMS.events] = events;
    this.follows.push(events);
    if (events.initiallyCaughtUp) view.logCaughtUp = view.logAtHead = true;
    if (!this.opts.heartbeats) {
      view.membersCaughtUp = true;
      return;
    }
    const beats = await followStream({
      nc, js, jsm, stream: STREAMS.heartbeats, start: { sinceMs: HEARTBEATS_SINCE_MS }, maxBatch: 1_000, signal,
      onBatch: (batch, caughtUp) => {
        view.applyHeartbeats(batch, caughtUp);
        for (const l of this.listeners) l.heartbeats?.();
      },
      onRestart: (firstSeq) => {
        this.opts.log.warn({ firstSeq }, "HEARTBEATS started over (made again, or every NATS server restarted): membership reads it from its first beat");
        view.restartHeartbeats();
      },
    });
    this.followers[STREAMS.heartbeats] = beats;
    this.follows.push(beats);
    if (beats.initiallyCaughtUp) view.membersCaughtUp = true;
  }

  private tellEvents(before: LogState): void {
    for (const l of this.listeners) l.events?.(before);
  }

  private maybeSnapshot(): void {
    const { view } = this;
    if (view.log.seq - this.lastSnapshotSeq < this.opts.snapshotEveryEvents) return;
    this.lastSnapshotSeq = view.log.seq;
    // At the head, a stored snapshot beyond this view is bogus and replaced; behind it (a backlog), it is kept.
    void this.snapshots.save(view.log, view.logAtHead).catch((err: unknown) => this.opts.log.warn({ err }, "snapshot not saved"));
  }
}
