import { connect, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { watchNatsStatus } from "./linkReports.js";
import { explainRefusal } from "./refusal.js";
import { reconnectOnRotation } from "./rotation.js";
import { connectionSecurityOptions, describeIdentity, NO_SECURITY, type NatsClientSecurity } from "./security.js";

export type NatsConnectOptions = {
  servers: string[];
  name: string;
  /** How often the client pings; two missed pongs mark the link dead. */
  pingIntervalMs: number;
  /** Where an unreachable, lost or restored connection is reported; every agent passes one. */
  log?: Logger;
  /** Stops the attempts to connect (NatsConnectAborted). */
  signal?: AbortSignal;
  /** Give up after this long without a connection (NatsUnreachableError); without it, attempts go on until `signal`. */
  giveUpAfterMs?: number;
  /** Credentials and TLS (read again on every connect); without it, anonymous and in plain text. */
  security?: NatsClientSecurity;
  /** Only connect: no link reports and no rotation watch (connectSwappable.ts attaches its own to what it wraps). */
  bare?: boolean;
};

export const DEFAULT_PING_INTERVAL_MS = 2_000;
/** The longest wait between two attempts to connect (the first ones are shorter: 250 ms, doubling). */
export const CONNECT_RETRY_MAX_MS = 2_000;
/** While NATS stays unreachable, a report this often instead of one per attempt. */
export const UNREACHABLE_REPORT_EVERY_MS = 10_000;

export class NatsConnectAborted extends Error {
  readonly code = "NATS_CONNECT_ABORTED";
}

export class NatsUnreachableError extends Error {
  readonly code = "NATS_UNREACHABLE";
}

/** The server refused the credentials, or TLS failed: waiting will not fix it, so a one-shot command stops at once. */
export class NatsRefusedError extends Error {
  readonly code = "NATS_REFUSED";
}

/**
 * Connects, retrying with capped jittered backoff until connected, `signal` aborts or `giveUpAfterMs` passes, and
 * says so: the first failure, then every 10 s. Once connected, the client reconnects by itself without limit and
 * the link's losses and returns are logged (linkReports.ts).
 */
export async function connectNats(opts: NatsConnectOptions): Promise<NatsConnection> {
  const started = Date.now();
  let lastReport = 0;
  for (let attempt = 1; ; attempt++) {
    if (opts.signal?.aborted) throw new NatsConnectAborted(`stopped before connecting to NATS at ${opts.servers.join(", ")}`);
    try {
      const nc = await untilAborted(connectOnce(opts), opts.signal);
      const identity = describeIdentity(opts.security ?? NO_SECURITY);
      opts.log?.info({ server: nc.getServer(), as: identity, attempts: attempt, afterMs: Date.now() - started }, "connected to NATS");
      if (!opts.bare && opts.log) watchNatsStatus(nc, opts.log);
      if (!opts.bare && opts.security) reconnectOnRotation(nc, opts.security, opts.log);
      return nc;
    } catch (err) {
      if (err instanceof NatsConnectAborted) throw err;
      const reason = describeError(err);
      const waited = Date.now() - started;
      // The explanation may make one TLS handshake per server (tlsProbe.ts): a stop does not wait for it.
      const refusal = await nullOnAbort(explainRefusal(err, opts.servers, opts.security ?? NO_SECURITY), opts.signal);
      if (opts.signal?.aborted) continue;
      if (refusal !== null) {
        if (opts.giveUpAfterMs !== undefined) throw new NatsRefusedError(refusal);
        if (attempt === 1 || Date.now() - lastReport >= UNREACHABLE_REPORT_EVERY_MS) lastReport = reportRefusal(opts, refusal, attempt, waited);
        await pause(CONNECT_RETRY_MAX_MS, opts.signal);
        continue;
      }
      if (opts.giveUpAfterMs !== undefined && waited >= opts.giveUpAfterMs) {
        throw new NatsUnreachableError(`cannot reach NATS at ${opts.servers.join(", ")}: ${reason}; gave up after ${Math.round(waited / 1000)} s`);
      }
      if (attempt === 1 || Date.now() - lastReport >= UNREACHABLE_REPORT_EVERY_MS) {
        lastReport = Date.now();
        const msg = `cannot reach NATS; retrying every ${CONNECT_RETRY_MAX_MS / 1000} s`;
        opts.log?.warn({ servers: opts.servers, err: reason, attempts: attempt, sinceMs: waited }, msg);
      }
      const backoff = Math.min(CONNECT_RETRY_MAX_MS, 250 * 2 ** (attempt - 1)) * (0.75 + Math.random() / 4);
      await pause(Math.min(backoff, (opts.giveUpAfterMs ?? Infinity) - waited), opts.signal);
    }
  }
}

/** An agent retries a refusal (the files may be about to change) and says what was refused; returns when it said so. */
function reportRefusal(opts: NatsConnectOptions, refusal: string, attempts: number, sinceMs: number): number {
  const msg = `NATS refused this agent's credentials or certificate; retrying every ${CONNECT_RETRY_MAX_MS / 1000} s (the files are read again each time)`;
  opts.log?.error({ servers: opts.servers, err: refusal, attempts, sinceMs }, msg);
  return Date.now();
}

/** One pass over the servers; after the first success the client reconnects by itself, without limit. */
export function connectOnce(opts: NatsConnectOptions): Promise<NatsConnection> {
  return connect({
    ...connectionSecurityOptions(opts.security ?? NO_SECURITY),
    servers: opts.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    pingInterval: opts.pingIntervalMs,
    maxPingOut: 2,
    waitOnFirstConnect: false,
    timeout: 5_000,
  });
}

/** The attempt's result, or NatsConnectAborted as soon as `signal` aborts (a connection made after that is closed). */
function untilAborted(attempt: Promise<NatsConnection>, signal: AbortSignal | undefined): Promise<NatsConnection> {
  if (!signal) return attempt;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      reject(new NatsConnectAborted("stopped while connecting to NATS"));
      void attempt.then((late) => late.close(), () => undefined);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    attempt.then(
      (nc) => (signal.aborted ? undefined : resolve(nc)),
      (err: unknown) => reject(err instanceof Error ? err : new Error(String(err))),
    ).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

/** `work`'s result, or null as soon as `signal` aborts. */
function nullOnAbort<T>(work: Promise<T | null>, signal: AbortSignal | undefined): Promise<T | null> {
  if (!signal) return work;
  if (signal.aborted) return Promise.resolve(null);
  return new Promise((resolve) => {
    const onAbort = (): void => resolve(null);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, () => resolve(null)).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** The client's message with the socket's own reason ("connection refused (connect ECONNREFUSED 127.0.0.1:4222)"). */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : null;
  return cause && cause !== err.message ? `${err.message} (${cause})` : err.message;
}

/**
 * Drains (finishes what is in flight) for at most `drainMs`, then closes: a drain cannot finish while NATS is away,
 * and a connection left open keeps reconnecting, and the process alive, forever.
 */
export async function closeNats(nc: NatsConnection, drainMs = 2_000): Promise<void> {
  if (nc.isClosed()) return;
  await settledWithin(nc.drain(), drainMs);
  await nc.close().catch(() => undefined);
}

/** connectNats for an agent: null when `opts.signal` stopped it before a connection was made (logged). */
export async function connectUnlessStopped(opts: NatsConnectOptions & { log: Logger; signal: AbortSignal }): Promise<NatsConnection | null> {
  try {
    return await connectNats(opts);
  } catch (err) {
    if (!(err instanceof NatsConnectAborted)) throw err;
    opts.log.info({ servers: opts.servers }, "stopped before connecting to NATS");
    return null;
  }
}

/** Waits for `work` at most `ms` (a NATS request during shutdown must not wait its full timeout for a server that is gone). */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work.then(() => undefined, () => undefined), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
