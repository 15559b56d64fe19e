import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { requirementsOf, type StreamSettings } from "./streams.js";
import { describeDifferences, LOG_STREAMS, logDifferences, type LogDifference, type LogRequirements, type StreamConfigView } from "../../events/logRequirements.js";

// Agents do not create the log (only `vipmesh log init`, as admin, may): they wait for it, check its settings at
// start, after every reconnect and every few seconds, and stop at once when someone weakened it.

export class LogWeakenedError extends Error {
  readonly code = "LOG_WEAKENED";
  constructor(readonly differences: readonly LogDifference[]) {
    super(`the log's settings were weakened, so vipmesh refuses to run on it: ${describeDifferences(differences)} (restore them with \`vipmesh log init\` as admin)`);
  }
}

const WAIT_REPORT_EVERY_MS = 10_000;
export const LOG_CHECK_EVERY_MS = 5_000;

async function readConfigs(jsm: JetStreamManager): Promise<Record<string, StreamConfigView | null>> {
  const out: Record<string, StreamConfigView | null> = {};
  for (const name of LOG_STREAMS) {
    try {
      out[name] = (await jsm.streams.info(name)).config as StreamConfigView;
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || err.code !== JetStreamApiCodes.StreamNotFound) throw err;
      out[name] = null;
    }
  }
  return out;
}

const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });

/** The log's differences now (a missing stream included). */
export async function checkLog(jsm: JetStreamManager, r: LogRequirements): Promise<LogDifference[]> {
  return logDifferences(await readConfigs(jsm), r);
}

/**
 * Waits until the streams and bucket exist (saying which are missing, every 10 s), then checks them: a weakened log
 * is a LogWeakenedError. Returns false if `signal` aborted first.
 */
export async function awaitVerifiedLog(jsm: JetStreamManager, r: LogRequirements, log: Logger, signal: AbortSignal): Promise<boolean> {
  let reported = 0;
  while (!signal.aborted) {
    const diffs = await checkLog(jsm, r);
    const missing = diffs.filter((d) => d.field === "(stream)").map((d) => d.stream);
    if (missing.length === 0) {
      if (diffs.length > 0) throw new LogWeakenedError(diffs);
      return true;
    }
    if (Date.now() - reported >= WAIT_REPORT_EVERY_MS) {
      reported = Date.now();
      log.warn({ missing }, "waiting for the log: run `vipmesh log init` as the NATS admin to create it (agents do not)");
    }
    await pause(1_000, signal);
  }
  return false;
}

/** How long a stream must stay missing before a running agent takes it as deleted (not a leader election). */
export const MISSING_FOR_MS = 60_000;

/**
 * Checks the log after every reconnect and every `everyMs`, until `signal` aborts; calls `onWeakened` once when a
 * stream's settings differ, or when a stream has been missing for `missingForMs` (a cluster electing a stream's
 * leader may answer "stream not found" for a while, and an outage must change nothing). A check that gets no answer
 * is retried at the next tick.
 */
export function guardLog(nc: NatsConnection, jsm: JetStreamManager, r: LogRequirements, signal: AbortSignal, onWeakened: (err: LogWeakenedError) => void, everyMs = LOG_CHECK_EVERY_MS, missingForMs = MISSING_FOR_MS): void {
  let done = false;
  let missingSince: number | null = null;
  const check = async (): Promise<void> => {
    if (done || signal.aborted) return;
    const diffs = await checkLog(jsm, r).catch(() => null);
    if (diffs === null) return;
    const missing = diffs.some((d) => d.field === "(stream)");
    missingSince = missing ? (missingSince ?? Date.now()) : null;
    const weakened = diffs.some((d) => d.field !== "(stream)") || (missingSince !== null && Date.now() - missingSince >= missingForMs);
    if (weakened && !done && !signal.aborted) {
      done = true;
      onWeakened(new LogWeakenedError(diffs));
    }
  };
  const timer = setInterval(() => void check(), everyMs);
  signal.addEventListener("abort", () => clearInterval(timer), { once: true });
  void (async () => {
    for await (const s of nc.status()) {
      if (signal.aborted || done) break;
      if (s.type === "reconnect") void check();
    }
  })();
}

/** What an agent does on a weakened log: says so with every field, and stops serving at once (exit status 3). */
export function exitOnWeakenedLog(log: Logger): (err: LogWeakenedError) => void {
  return (err) => {
    log.fatal({ code: err.code, differences: err.differences }, err.message);
    process.exit(3);
  };
}

/**
 * An agent's start on the log: waits for it, refuses a weakened one (LogWeakenedError), then guards it for the rest
 * of the run. False when `signal` aborted while waiting.
 */
export async function openGuardedLog(nc: NatsConnection, jsm: JetStreamManager, settings: StreamSettings, log: Logger, signal: AbortSignal): Promise<boolean> {
  const r = requirementsOf(settings);
  if (!(await awaitVerifiedLog(jsm, r, log, signal))) return false;
  guardLog(nc, jsm, r, signal, exitOnWeakenedLog(log));
  return true;
}
