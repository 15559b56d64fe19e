// Timer arithmetic for a BGP session, in milliseconds unless a name says seconds. Pure: randomness comes in as a
// jitter value r in [0, 1] chosen by the caller; r = 0 means no jitter.
//
// MetalLB's BGPPeer rules (internal/config parseTimers, speaker defaults):
//   neither holdTime nor keepaliveTime set -> 90 s and 30 s;
//   only holdTime -> keepaliveTime = holdTime / 3;  only keepaliveTime -> holdTime = 3 * keepaliveTime;
//   holdTime truncated to whole seconds must be 0 or >= 3 s; keepaliveTime must not exceed holdTime.
// connectTime (1..65535 s when set) caps the reconnect backoff; unset, the cap is 120 s (RFC 4271's ConnectRetryTime).
// Jitter (RFC 4271 10): a timer's base value is multiplied by a factor in [0.75, 1].

export const DEFAULT_HOLD_TIME_S = 90;
export const DEFAULT_KEEPALIVE_MS = 30_000;
export const DEFAULT_CONNECT_RETRY_MAX_MS = 120_000;
export const DEFAULT_CONNECT_RETRY_INITIAL_MS = 1_000;
/** A TCP connect attempt that has not completed by then is abandoned (MetalLB's native dial timeout). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** RFC 4271 8: the "large value" the HoldTimer gets while waiting for the peer's OPEN (suggested 4 minutes). */
export const OPEN_HOLD_MS = 240_000;
export const MAX_HOLD_TIME_S = 0xffff;

export class TimerConfigError extends Error {
  override readonly name = "TimerConfigError";
  constructor(
    readonly field: "holdTime" | "keepaliveTime" | "connectTime",
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

export interface PeerTimerSpec {
  /** BGPPeer.holdTime in ms, if set. */
  readonly holdTimeMs?: number;
  /** BGPPeer.keepaliveTime in ms, if set. */
  readonly keepaliveTimeMs?: number;
  /** BGPPeer.connectTime in ms, if set. */
  readonly connectTimeMs?: number;
}

export interface SessionTimers {
  /** Hold Time offered in our OPEN, whole seconds: 0 or 3..65535. */
  readonly holdTime: number;
  /** Our KeepaliveTime; the interval actually used is also capped by the negotiated hold time / 3. */
  readonly keepaliveMs: number;
  /** Reconnect backoff: first delay, doubling per failure up to the cap. */
  readonly connectRetry: { readonly initialMs: number; readonly maxMs: number };
}

/** MetalLB's derivation of hold and keepalive times, validated. Throws TimerConfigError. */
export function deriveTimers(spec: PeerTimerSpec): SessionTimers {
  const { holdTimeMs, keepaliveTimeMs, connectTimeMs } = spec;
  for (const [field, v] of [["holdTime", holdTimeMs], ["keepaliveTime", keepaliveTimeMs], ["connectTime", connectTimeMs]] as const) {
    if (v !== undefined && !(Number.isFinite(v) && v >= 0)) throw new TimerConfigError(field, `${v} is not a duration`);
  }
  let hold: number;
  let keepalive: number;
  if (holdTimeMs === undefined && keepaliveTimeMs === undefined) {
    hold = DEFAULT_HOLD_TIME_S * 1000;
    keepalive = DEFAULT_KEEPALIVE_MS;
  } else if (keepaliveTimeMs === undefined) {
    hold = holdTimeMs as number;
    keepalive = hold / 3;
  } else if (holdTimeMs === undefined) {
    keepalive = keepaliveTimeMs;
    hold = keepalive * 3;
  } else {
    hold = holdTimeMs;
    keepalive = keepaliveTimeMs;
  }
  const holdSeconds = Math.trunc(hold / 1000);
  if (holdSeconds !== 0 && holdSeconds < 3) throw new TimerConfigError("holdTime", `${hold} ms: must be 0 or >= 3s`);
  if (holdSeconds > MAX_HOLD_TIME_S) throw new TimerConfigError("holdTime", `${hold} ms: at most ${MAX_HOLD_TIME_S}s fits an OPEN`);
  if (keepalive > hold) throw new TimerConfigError("keepaliveTime", `${keepalive} ms must not exceed holdTime ${hold} ms`);
  if (connectTimeMs !== undefined && (connectTimeMs < 1000 || connectTimeMs > 65535_000)) {
    throw new TimerConfigError("connectTime", `${connectTimeMs} ms: must be between 1s and 65535s`);
  }
  const maxMs = connectTimeMs ?? DEFAULT_CONNECT_RETRY_MAX_MS;
  return {
    holdTime: holdSeconds,
    keepaliveMs: Math.floor(keepalive),
    connectRetry: { initialMs: Math.min(DEFAULT_CONNECT_RETRY_INITIAL_MS, maxMs), maxMs },
  };
}

/** RFC 4271 4.2: the session's hold time is the smaller of the two offers (0 disables hold and keepalives). */
export function negotiateHoldTime(localSeconds: number, remoteSeconds: number): number {
  return Math.min(localSeconds, remoteSeconds);
}

/** Keepalive interval for a negotiated hold time: our KeepaliveTime, but at most a third of the hold time. */
export function keepaliveInterval(negotiatedHoldSeconds: number, keepaliveMs: number): number | undefined {
  if (negotiatedHoldSeconds === 0) return undefined;
  const third = Math.floor((negotiatedHoldSeconds * 1000) / 3);
  return keepaliveMs > 0 ? Math.min(keepaliveMs, third) : third;
}

/** Multiplies a base value by a jitter factor in [0.75, 1]: r = 0 -> base, r = 1 -> 0.75 * base. */
export function jittered(baseMs: number, r: number): number {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(r) ? r : 0));
  return Math.floor(baseMs * (1 - 0.25 * clamped));
}

/** Delay before reconnect attempt `failures` (0-based): initial * 2^failures, capped, then jittered. */
export function backoffDelay(failures: number, retry: SessionTimers["connectRetry"], r: number): number {
  const exponent = Math.min(Math.max(0, failures), 40);
  return jittered(Math.min(retry.maxMs, retry.initialMs * 2 ** exponent), r);
}
