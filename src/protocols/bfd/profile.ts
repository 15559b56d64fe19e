// A BFDProfile's fields (MetalLB's CRD, milliseconds) as the session's parameters (microseconds), with MetalLB's
// defaults for unset fields: receive and transmit 300 ms, detect multiplier 3, minimum TTL 254 (multihop only).
import type { BfdTimerConfig } from "./sessionTypes.js";
import { DEFAULT_MULTIHOP_MINIMUM_TTL } from "./timers.js";

export const DEFAULT_INTERVAL_MS = 300;
export const DEFAULT_DETECT_MULTIPLIER = 3;

export interface BfdProfileSpec {
  readonly receiveInterval?: number;
  readonly transmitInterval?: number;
  readonly detectMultiplier?: number;
  readonly passiveMode?: boolean;
  readonly minimumTtl?: number;
  readonly echoMode?: boolean;
}

export function profileTimers(spec: BfdProfileSpec): BfdTimerConfig {
  return {
    desiredMinTxUs: (spec.transmitInterval ?? DEFAULT_INTERVAL_MS) * 1000,
    requiredMinRxUs: (spec.receiveInterval ?? DEFAULT_INTERVAL_MS) * 1000,
    detectMult: spec.detectMultiplier ?? DEFAULT_DETECT_MULTIPLIER,
    passive: spec.passiveMode ?? false,
  };
}

/** The multihop TTL floor the profile asks for. */
export function profileMinimumTtl(spec: BfdProfileSpec): number {
  return spec.minimumTtl ?? DEFAULT_MULTIHOP_MINIMUM_TTL;
}
