// Interval arithmetic of a BFD session (RFC 5880 6.8.2-6.8.4, 6.8.7). Intervals are microseconds as on the wire;
// deadlines are milliseconds on the caller's clock. Pure: jitter comes in as r in [0, 1].
import { BFD_SLOW_TX_US } from "./constants.js";

/** 6.8.2: the interval we transmit at: the slower of what we want to send and what the remote can receive. */
export function transmitIntervalUs(desiredMinTxUs: number, remoteMinRxUs: number): number {
  return Math.max(desiredMinTxUs, remoteMinRxUs);
}

/**
 * 6.8.4 (Asynchronous mode): the remote's Detect Mult times the agreed interval at which it sends to us, the slower
 * of what we asked to receive and what it last said it wants to send.
 */
export function detectionTimeUs(remoteDetectMult: number, requiredMinRxUs: number, remoteDesiredMinTxUs: number): number {
  return remoteDetectMult * Math.max(requiredMinRxUs, remoteDesiredMinTxUs);
}

/** 6.8.3: the DesiredMinTxInterval to advertise: the configured one while Up, at least one second otherwise. */
export function advertisedDesiredMinTxUs(configuredUs: number, up: boolean): number {
  return up ? configuredUs : Math.max(BFD_SLOW_TX_US, configuredUs);
}

/**
 * 6.8.7: each periodic interval is reduced by 0-25 % (r = 0: 100 %, r = 1: 75 %); with Detect Mult 1 it lies in
 * 75-90 % so a single late packet cannot expire the remote's detection time.
 */
export function jitteredIntervalMs(intervalUs: number, detectMult: number, r: number): number {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(r) ? r : 0));
  const factor = detectMult === 1 ? 0.9 - 0.15 * clamped : 1 - 0.25 * clamped;
  return (intervalUs * factor) / 1000;
}

/**
 * RFC 5881 5 and RFC 5883: the smallest TTL (hop limit) a received control packet may carry. Single hop: only
 * packets sent with 255 and not forwarded (GTSM). Multihop: the profile's minimumTtl (MetalLB's default 254).
 */
export const DEFAULT_MULTIHOP_MINIMUM_TTL = 254;
export function receiveTtlThreshold(multihop: boolean, minimumTtl?: number): number {
  return multihop ? (minimumTtl ?? DEFAULT_MULTIHOP_MINIMUM_TTL) : 255;
}

export function ttlAccepted(ttl: number, multihop: boolean, minimumTtl?: number): boolean {
  return ttl >= receiveTtlThreshold(multihop, minimumTtl);
}
