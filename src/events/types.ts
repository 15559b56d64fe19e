import type { ClusterConfig } from "../config/types.js";

// Domain events: read-only values named in the past tense. Wire versions live in schemas.ts; this is the
// current shape every upcaster produces.

export const STREAMS = { events: "EVENTS", heartbeats: "HEARTBEATS" } as const;
export type StreamName = (typeof STREAMS)[keyof typeof STREAMS];

/** Where and when the log stored a message: the only source of order and time for projections. */
export type EventMeta = {
  stream: StreamName;
  seq: number;
  /** The stream's own timestamp, in milliseconds since the epoch. */
  time: number;
  subject: string;
};

export type InterfaceFact = {
  name: string;
  mac: string;
  up: boolean;
  /** Addresses with prefix length, e.g. "198.18.0.11/24". */
  addresses: string[];
  /** Interfaces that must not answer (bond or bridge members, NOARP). */
  answerable: boolean;
};

export type NodeHeartbeatRecorded = {
  type: "NodeHeartbeatRecorded";
  data: {
    node: string;
    incarnation: number;
    /** Counts up within an incarnation, so a duplicate or reordered beat is recognisable. */
    beat: number;
    ready: boolean;
    version: string;
    interfaces: InterfaceFact[];
  };
};

export type NodeLeft = {
  type: "NodeLeft";
  data: { node: string; incarnation: number; reason: "shutdown" | "drain" };
};

export const CLAIM_REASONS = ["unowned", "owner-dead", "owner-left", "owner-ineligible"] as const;
export type ClaimReason = (typeof CLAIM_REASONS)[number];

/** What the claimant saw when it decided: enough to explain the claim after heartbeats have expired. */
export type ClaimEvidence = {
  previousOwner: string | null;
  /** Membership status of the previous owner in the claimant's view. */
  previousOwnerStatus: string | null;
  /** Heartbeat log time of the previous owner's last beat, if it was ever heard. */
  previousOwnerLastHeardAt: number | null;
  /** How long the previous owner had been silent in live log time (stalls excluded). */
  silentForMs: number | null;
  /** Heartbeat log time and sequence the claimant had reached. */
  observedAt: number;
  heartbeatSeq: number;
  eligibleNodes: number;
};

export type VipClaimed = {
  type: "VipClaimed";
  data: {
    vip: string;
    node: string;
    incarnation: number;
    /** Exactly one more than the term of the claim it replaces; anything else is stale. */
    term: number;
    reason: ClaimReason;
    evidence: ClaimEvidence;
  };
};

export type ConfigApplied = {
  type: "ConfigApplied";
  data: { source: string; hash: string; config: ClusterConfig };
};

export type HeartbeatEvent = NodeHeartbeatRecorded;
export type LogEvent = NodeLeft | VipClaimed | ConfigApplied;
export type DomainEvent = HeartbeatEvent | LogEvent;

export type Logged<E extends DomainEvent = DomainEvent> = E & { meta: EventMeta };

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
