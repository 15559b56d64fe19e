// Types of the BFD session state machine (RFC 5880 6.2, 6.8): configuration, state, inputs and actions.
import type { BfdState } from "./constants.js";
import type { BfdControlPacket } from "./controlPacket.js";

/** The parameters a BFDProfile sets; all can change on a live session (a Poll Sequence carries the change). */
export interface BfdTimerConfig {
  /** BFDProfile.transmitInterval, microseconds (bfd.DesiredMinTxInterval while Up). */
  readonly desiredMinTxUs: number;
  /** BFDProfile.receiveInterval, microseconds (bfd.RequiredMinRxInterval). */
  readonly requiredMinRxUs: number;
  /** BFDProfile.detectMultiplier (bfd.DetectMult). */
  readonly detectMult: number;
  /** BFDProfile.passiveMode: send nothing until the remote has sent a packet (RFC 5880 6.1). */
  readonly passive: boolean;
}

export interface BfdSessionConfig extends BfdTimerConfig {
  /** bfd.LocalDiscr: non-zero and unique among this system's sessions (the adapter picks it). */
  readonly localDiscriminator: number;
}

/** What the remote said in its last accepted packet (RFC 5880 6.8.1 bfd.Remote*). */
export interface BfdRemote {
  readonly discriminator: number;
  readonly state: BfdState;
  readonly diag: number;
  readonly detectMult: number;
  readonly desiredMinTxUs: number;
  readonly minRxUs: number;
  readonly minEchoRxUs: number;
  readonly demand: boolean;
}

export interface BfdIntervals {
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
}

export type BfdTimerName = "transmit" | "detect";

export type BfdDropReason = "authNotInUse" | "adminDown";

export interface BfdCounters {
  readonly packetsReceived: number;
  readonly packetsSent: number;
  readonly finalsSent: number;
  readonly pollSequences: number;
  readonly upCount: number;
  readonly downCount: number;
  readonly dropped: Readonly<Record<BfdDropReason, number>>;
}

export interface BfdSessionState {
  readonly config: BfdSessionConfig;
  readonly state: BfdState;
  /** bfd.LocalDiag: why the session last went down (cleared when it comes Up). */
  readonly localDiag: number;
  readonly remote: BfdRemote;
  /** The intervals our packets carry (bfd.DesiredMinTxInterval, bfd.RequiredMinRxInterval). */
  readonly advertised: BfdIntervals;
  /**
   * The intervals our timers use. While a Poll Sequence runs they differ from `advertised` (RFC 5880 6.8.3): a larger
   * transmit interval and a smaller receive interval only take effect once the remote has answered with Final.
   */
  readonly inEffect: BfdIntervals;
  readonly polling: boolean;
  /** After going AdminDown, AdminDown packets are sent until this deadline (a detection time), then nothing. */
  readonly adminDownSendUntil?: number;
  readonly deadlines: Readonly<Partial<Record<BfdTimerName, number>>>;
  readonly upSince?: number;
  readonly counters: BfdCounters;
}

export type BfdSessionInput =
  /** Enable the session (AdminDown -> Down). */
  | { readonly type: "start" }
  /** Disable it: AdminDown with diag 7, told to the remote for a detection time (RFC 5880 6.8.16). */
  | { readonly type: "stop" }
  /** A control packet that passed the codec's checks and was demultiplexed to this session. */
  | { readonly type: "packet"; readonly packet: BfdControlPacket }
  /** New profile parameters for the live session. */
  | { readonly type: "configure"; readonly timers: BfdTimerConfig }
  /** Nothing happened but time passed: only fires timers. */
  | { readonly type: "tick" };

export type BfdSessionAction =
  | { readonly type: "send"; readonly packet: BfdControlPacket }
  | { readonly type: "stateChanged"; readonly from: BfdState; readonly to: BfdState; readonly diag: number }
  | { readonly type: "dropped"; readonly reason: BfdDropReason };

export interface BfdSessionStep {
  readonly state: BfdSessionState;
  readonly actions: readonly BfdSessionAction[];
}

/** The earliest running deadline: when the driver should feed a `tick` if nothing else happens. */
export function nextBfdDeadline(s: BfdSessionState): number | undefined {
  const all = Object.values(s.deadlines).filter((d): d is number => d !== undefined);
  return all.length === 0 ? undefined : Math.min(...all);
}
