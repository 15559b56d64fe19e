import type { ClusterConfig } from "../config/types.js";
import type { ConfigItem, ConfigObjectKind } from "../config/configObjects.js";

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
  /** Destinations routed out of this interface (prefixes, e.g. "198.18.5.0/24"; "0.0.0.0/0" for a default route). */
  routes: string[];
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
    /**
     * How late the node ran recently (Lifeguard score, 0 healthy .. 8 starved). Null for beats before v4: their
     * speakers knew no Lifeguard, and their log is judged as they judged it, without widening.
     */
    health: number | null;
    /**
     * Only in heartbeats of v1 and v2, which repeated the node's interfaces every beat. Since v3 they are a
     * `NodeFactsChanged` on EVENTS, published when they change.
     */
    interfaces?: InterfaceFact[];
  };
};

/**
 * How a cluster decides who is alive (design.md, "Membership"): from every node's heartbeats on HEARTBEATS, or from
 * watchers' verdicts on EVENTS. Every speaker states its mode in its facts, so a replay knows which rules applied.
 */
export const MEMBERSHIP_MODES = ["heartbeats", "verdicts"] as const;
export type MembershipMode = (typeof MEMBERSHIP_MODES)[number];

/**
 * A node's interfaces and routes, published on join and whenever they change (not in every heartbeat); its first
 * one of an incarnation is the node's join. `membership`: the mode its speaker runs (absent: heartbeats, as in v1).
 */
export type NodeFactsChanged = {
  type: "NodeFactsChanged";
  data: { node: string; incarnation: number; version: string; interfaces: InterfaceFact[]; membership?: MembershipMode };
};

/** What a watcher saw of its target: its last reply, the probes it sent, the indirect probers' answers, its own health. */
export type VerdictEvidence = {
  /** The watcher's clock (ms since the epoch) at the target's last reply; null when it never replied. */
  lastReplyAt: number | null;
  probes: number;
  indirect: { via: string; replied: boolean }[];
  /** The watcher's own Lifeguard score when it judged (a starved watcher declares nobody dead before the widest timeout). */
  watcherHealth: number;
  /**
   * A death verdict of a starved watcher (NodeDeclaredDead v2): how long the target had been silent, and the widest
   * timeout (`maxDeadAfterMs`) it waited for instead of its widened one. Absent in every other verdict.
   */
  starved?: { silentForMs: number; widestMs: number };
};

/**
 * A watcher's verdict on `vipmesh.ev.member.<target>.<watcher>` (design.md, "Membership: watchers and verdicts"):
 * `position` is the EVENTS sequence the watcher had reached when it judged. A `NodeAlive` whose watcher is the
 * target itself is a refutation, at a higher incarnation than the one suspected.
 */
export type MemberVerdictData = { target: string; watcher: string; incarnation: number; position: number; evidence: VerdictEvidence };
export type NodeSuspected = { type: "NodeSuspected"; data: MemberVerdictData };
export type NodeDeclaredDead = { type: "NodeDeclaredDead"; data: MemberVerdictData };
export type NodeAlive = { type: "NodeAlive"; data: MemberVerdictData };
export type MemberVerdictEvent = NodeSuspected | NodeDeclaredDead | NodeAlive;

export type NodeLeft = {
  type: "NodeLeft";
  data: { node: string; incarnation: number; reason: "shutdown" | "drain" };
};

/**
 * A speaker restarting in place (an upgrade, not a drain): its VIPs stay with it for `graceMs` of log time, so a
 * rolling restart moves no traffic. If it is not back by then, its VIPs move as from a dead node.
 */
export type NodeRestarting = {
  type: "NodeRestarting";
  data: { node: string; incarnation: number; graceMs: number };
};

/** Another MAC answered or announced a VIP this node owns: reported to the log so the replay and status show it. */
export type VipConflictObserved = {
  type: "VipConflictObserved";
  data: { vip: string; node: string; otherMac: string; ifname: string; count: number };
};

/**
 * A speaker stopped answering because it may be cut off from the log (fencing, design.md): published if it can
 * still publish. `at` is the speaker's own clock, the only time it has while the log is away.
 */
export type FenceEntered = {
  type: "FenceEntered";
  data: { node: string; incarnation: number; reason: string; at: number };
};

/** A fenced speaker answers again: the whole episode, published once the log is back and read up to its head. */
export type FenceLeft = {
  type: "FenceLeft";
  data: { node: string; incarnation: number; reason: string; enteredAt: number; leftAt: number; unfenceReason: string };
};

/** A BGP session's FSM state (RFC 4271 8.2.2), as both backends report it. */
export const BGP_SESSION_STATES = ["idle", "connect", "active", "openSent", "openConfirm", "established"] as const;
export type BgpSessionStateName = (typeof BGP_SESSION_STATES)[number];

/** MetalLB's words for a BFD session's state (its BGPSessionState's bfdStatus); "Error": it could not be opened. */
export const BFD_STATUS_WORDS = ["Up", "Down", "Init", "AdminDown", "Error", "Unknown"] as const;
export type BfdStatusWord = (typeof BFD_STATUS_WORDS)[number];

/** One BGP session of a speaker as it reported it: the state and what changes with it, never a running counter. */
export type BgpSessionReport = {
  /** The BGPPeer's name. */
  peer: string;
  address: string;
  /** The BGPPeer's peerASN; null when it names dynamicASN instead. */
  peerASN: number | null;
  state: BgpSessionStateName;
  /** When the session entered `state`, by the speaker's clock (ms since the epoch). */
  since: number;
  prefixesSent: number;
  /** For peers naming a BFDProfile: the paired BFD session's state, and why echo mode is not run when asked for. */
  bfd?: { profile: string | null; status: BfdStatusWord; echo?: string };
};

/**
 * A speaker's BGP sessions after a change of state (a session up or down, BFD up or down, prefixes sent), coalesced
 * over a short window so a flapping session cannot flood the log. Published on vipmesh.ev.announce.<node>.
 */
export type BgpSessionsChanged = {
  type: "BgpSessionsChanged";
  data: { node: string; incarnation: number; backend: "native" | "frr"; sessions: BgpSessionReport[] };
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

/**
 * The change an object belongs to (design.md, "Configuration as per-object events"): `hash` is the whole
 * configuration's hash after it, `after` the sequence of the source's chain it was decided from, and the projection
 * applies the change's `count` objects together when the last (`index = count - 1`) arrives in order.
 */
export type ConfigEpoch = { hash: string; after: number; index: number; count: number };

/** One configuration object set (created or changed) by its source; `revision` is the source's (design.md). */
export type ConfigObjectChanged = {
  type: "ConfigObjectChanged";
  data: { source: string; name: string; revision: string; epoch: ConfigEpoch; item: ConfigItem };
};

export type ConfigObjectDeleted = {
  type: "ConfigObjectDeleted";
  data: { source: string; kind: ConfigObjectKind; name: string; revision: string; epoch: ConfigEpoch };
};

/** Why an allocator chose an IP for a Service (MetalLB's order: requested IPs, requested pool, pinned pools, the rest). */
export const ALLOCATION_REASONS = ["requested-ip", "requested-pool", "service-allocation", "auto-assign", "adopted-from-status", "sharing-updated"] as const;
export type AllocationReason = (typeof ALLOCATION_REASONS)[number];

/** Why a Service let an IP go: always the Service's own edit or deletion, never an unrelated event. */
export const RELEASE_REASONS = ["service-deleted", "class-changed", "request-changed", "pool-request-changed", "family-removed", "sharing-changed"] as const;
export type ReleaseReason = (typeof RELEASE_REASONS)[number];

/** What decides whether two Services may share an IP (MetalLB: same key, same backend key, no port clash). */
export type SharingFacts = {
  /** `metallb.io/allow-shared-ip`; null: the Service shares with nobody. */
  key: string | null;
  /** "" for externalTrafficPolicy Cluster; the sorted selector ("app=web,tier=fe") for Local. */
  backendKey: string;
  /** "PROTOCOL/port", sorted. */
  ports: string[];
};

/** What the allocator had seen when it decided. */
export type AllocationEvidence = {
  allocator: string;
  /** Hash of the configuration the decision was made from. */
  configHash: string | null;
  /** EVENTS sequence the allocator had reached. */
  observedSeq: number;
};

export type IpAllocated = {
  type: "IpAllocated";
  data: {
    ip: string;
    /** "namespace/name". */
    service: string;
    /** The pool the IP was taken from, as configured at the time. */
    pool: string | null;
    reason: AllocationReason;
    sharing: SharingFacts;
    /** The loadBalancerClass the allocator answers to (null: Services without a class). */
    lbClass: string | null;
    evidence: AllocationEvidence;
  };
};

export type IpReleased = {
  type: "IpReleased";
  data: { ip: string; service: string; reason: ReleaseReason; detail: string; evidence: AllocationEvidence };
};

/**
 * A speaker in `verdicts` mode says it is there every few seconds on vipmesh.hb.<node> instead of beating every 50 ms
 * (design.md, "Membership: watchers and verdicts"): nobody judges it by these (its watchers probe it), they show who
 * runs, how healthy, and how far it has read EVENTS. The heartbeat membership skips them.
 */
export type NodePresence = {
  type: "NodePresence";
  data: { node: string; incarnation: number; version: string; health: number; eventsSeq: number };
};

export type HeartbeatEvent = NodeHeartbeatRecorded | NodePresence;
export type LogEvent = NodeLeft | NodeFactsChanged | NodeSuspected | NodeDeclaredDead | NodeAlive | NodeRestarting | VipConflictObserved | FenceEntered | FenceLeft | BgpSessionsChanged | VipClaimed | ConfigApplied | ConfigObjectChanged | ConfigObjectDeleted | IpAllocated | IpReleased;
export type DomainEvent = HeartbeatEvent | LogEvent;

export type Logged<E extends DomainEvent = DomainEvent> = E & { meta: EventMeta };

export function assertNever(value: never): never {
  throw new Error(`unhandled case: ${JSON.stringify(value)}`);
}
