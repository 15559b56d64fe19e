import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { closeNats } from "./connect.js";
import { StatusFanout } from "./statusFanout.js";

// A connection that can be replaced by a fresh one without a gap (make before break). A renewed credential (a
// speaker's Pod token before its NATS user expires) or a rotated certificate needs a new login; reconnecting in place
// left the process without the log and without heartbeats for the login's length (a TokenReview at the API server
// through the auth callout: up to 374 ms measured), long enough for a speaker to fence. Here the new connection logs
// in while the old one keeps serving; then everything moves over at once and the old one is closed a moment later,
// once what was in flight on it has been answered.
//
// Holders keep one object each: `nc`, `js` and `jsm` forward every call to the current connection. To them a swap is a
// reconnect: `nc.status()` (which spans swaps) reports `reconnect`, so followers (follow.ts) make their consumers
// again, on the new connection, from where they were, and the log guard checks the streams again. `nc.closed()` and
// `nc.isClosed()` are about the whole: a swapped-out connection closing is not the end.

/** How long a swapped-out connection stays open for replies to what was sent on it (publish acks, requests). */
export const SWAPPED_OUT_GRACE_MS = 2_000;

export class SwappableConnection {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  private current: NatsConnection;
  private currentJs: JetStreamClient;
  private currentJsm: JetStreamManager;
  private readonly statuses = new StatusFanout();
  private readonly retiring = new Set<NatsConnection>();
  /** Which connection a subscription or close listener was made on: the client's internals address it there. */
  private readonly owners = new WeakMap<object, NatsConnection>();
  private closing = false;
  private renewing: Promise<void> | null = null;
  private readonly whole: Promise<void | Error>;
  private endWhole!: (result: void | Error) => void;

  private constructor(first: NatsConnection, firstJsm: JetStreamManager) {
    this.current = first;
    this.currentJs = jetstream(first);
    this.currentJsm = firstJsm;
    this.whole = new Promise((resolve) => (this.endWhole = resolve));
    this.nc = this.connectionFacade();
    this.js = forwardTo(() => this.currentJs);
    this.jsm = forwardTo(() => this.currentJsm);
    this.relay(first);
  }

  /** Wraps an open connection. */
  static async wrap(first: NatsConnection): Promise<SwappableConnection> {
    return new SwappableConnection(first, await jetstreamManager(first));
  }

  /** The connection serving now (for what must be addressed to one connection, such as a log line naming its server). */
  get serving(): NatsConnection {
    return this.current;
  }

  /**
   * Logs in on a new connection (`connect`), then moves every holder to it and retires the old one. One at a time:
   * a second call while one runs waits for it and then swaps again (the files may have changed again). Rejects, and
   * leaves the current connection serving, when the new one cannot be made.
   */
  renew(connect: () => Promise<NatsConnection>): Promise<void> {
    const run = (this.renewing ?? Promise.resolve()).then(() => this.swap(connect));
    const tracked: Promise<void> = run.then(
      () => undefined,
      () => undefined,
    ).finally(() => {
      if (this.renewing === tracked) this.renewing = null;
    });
    this.renewing = tracked;
    return run;
  }

  private async swap(connect: () => Promise<NatsConnection>): Promise<void> {
    if (this.closing) return;
    const fresh = await connect();
    let freshJsm: JetStreamManager;
    try {
      freshJsm = await jetstreamManager(fresh);
    } catch (err) {
      await fresh.close().catch(() => undefined);
      throw err;
    }
    if (this.closing) {
      await fresh.close().catch(() => undefined);
      return;
    }
    const old = this.current;
    this.current = fresh;
    this.currentJs = jetstream(fresh);
    this.currentJsm = freshJsm;
    this.relay(fresh);
    this.statuses.push({ type: "reconnect", server: fresh.getServer() });
    this.retire(old);
  }

  private retire(old: NatsConnection): void {
    this.retiring.add(old);
    const timer = setTimeout(() => void closeNats(old).finally(() => this.retiring.delete(old)), SWAPPED_OUT_GRACE_MS);
    timer.unref();
  }

  /** Passes `conn`'s statuses on while it is the current one; its closing ends the whole unless it was swapped out. */
  private relay(conn: NatsConnection): void {
    void (async () => {
      for await (const s of conn.status()) if (conn === this.current) this.statuses.push(s);
    })().catch(() => undefined);
    void conn.closed().then((result) => {
      if (conn !== this.current) return;
      this.closing = true;
      this.statuses.end();
      this.endWhole(result);
    });
  }

  private async closeAll(how: "drain" | "close"): Promise<void> {
    this.closing = true;
    await this.renewing;
    await Promise.allSettled([...this.retiring].map((old) => old.close()));
    if (how === "drain") await this.current.drain();
    else await this.current.close();
  }

  private connectionFacade(): NatsConnection {
    const overrides: Partial<Record<keyof NatsConnection | "_resub" | "addCloseListener" | "removeCloseListener", unknown>> = {
      status: () => this.statuses.reader(),
      closed: () => this.whole,
      isClosed: () => this.current.isClosed(),
      close: () => this.closeAll("close"),
      drain: () => this.closeAll("drain"),
      subscribe: (subject: string, opts?: object) => {
        const sub = this.current.subscribe(subject, opts);
        this.owned(this.current, sub);
        return sub;
      },
      _resub: (sub: Subscription, subject: string) => this.ownerOf(sub)._resub(sub, subject),
      addCloseListener: (listener: object) => internals(this.owned(this.current, listener)).addCloseListener(listener),
      removeCloseListener: (listener: object) => internals(this.ownerOf(listener)).removeCloseListener(listener),
    };
    return new Proxy({} as NatsConnection, {
      get: (_target, prop) => (prop in overrides ? overrides[prop as keyof typeof overrides] : bound(this.current, prop)),
    });
  }

  /** Records that `thing` was made on `conn`; returns `conn`. */
  private owned(conn: NatsConnection, thing: object): NatsConnection {
    this.owners.set(thing, conn);
    return conn;
  }

  private ownerOf(thing: object): NatsConnection & Internals {
    return (this.owners.get(thing) ?? this.current) as NatsConnection & Internals;
  }
}

/** The client's internal calls that JetStream consumers make on their connection. */
type Internals = {
  _resub(sub: Subscription, subject: string): void;
  addCloseListener(listener: object): void;
  removeCloseListener(listener: object): void;
};

function internals(nc: NatsConnection): Internals {
  return nc as unknown as Internals;
}

function bound(target: object, prop: string | symbol): unknown {
  const value: unknown = Reflect.get(target, prop, target);
  return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
}

/** An object whose every property is read, at the time of reading, from `now()` (methods bound to it). */
function forwardTo<T extends object>(now: () => T): T {
  return new Proxy({} as T, { get: (_target, prop) => bound(now(), prop) });
}
