import { z } from "zod";
import { MAX_HEALTH_SCORE } from "../projections/members/lifeguard.js";
import { CLAIM_REASONS, MEMBERSHIP_MODES } from "./types.js";

// Wire schemas, one per (type, version). A published version is never edited: add a new one and an upcaster.

const interfaceFactV1 = z.object({
  name: z.string().min(1),
  mac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
  up: z.boolean(),
  addresses: z.array(z.string()),
  answerable: z.boolean(),
});

// v2: each interface also reports the destinations the node routes through it (on-link prefixes), so a VIP outside
// every interface subnet can still be answered on the interface that routes to it.
const interfaceFactV2 = interfaceFactV1.extend({ routes: z.array(z.string()).max(1024) });

export const nodeHeartbeatRecordedV1 = z.object({
  node: z.string().min(1),
  incarnation: z.number().int().nonnegative(),
  beat: z.number().int().nonnegative(),
  ready: z.boolean(),
  version: z.string(),
  interfaces: z.array(interfaceFactV1).max(256),
});

export const nodeHeartbeatRecordedV2 = nodeHeartbeatRecordedV1.extend({ interfaces: z.array(interfaceFactV2).max(256) });

// v3: only what changes every beat; the interfaces are NodeFactsChanged events on EVENTS.
export const nodeHeartbeatRecordedV3 = nodeHeartbeatRecordedV1.omit({ interfaces: true });

// v4: the node's own health score (Lifeguard, src/projections/members/lifeguard.ts): how late it ran recently.
export const nodeHeartbeatRecordedV4 = nodeHeartbeatRecordedV3.extend({ health: z.number().int().min(0).max(MAX_HEALTH_SCORE) });

export const nodePresenceV1 = z.object({
  node: z.string().min(1),
  incarnation: z.number().int().nonnegative(),
  version: z.string(),
  health: z.number().int().min(0).max(MAX_HEALTH_SCORE),
  eventsSeq: z.number().int().nonnegative(),
});

export const nodeFactsChangedV1 = z.object({
  node: z.string().min(1),
  incarnation: z.number().int().nonnegative(),
  version: z.string(),
  interfaces: z.array(interfaceFactV2).max(256),
});

// v2: the membership mode the node's speaker runs (v1: heartbeats, the only mode then).
export const nodeFactsChangedV2 = nodeFactsChangedV1.extend({ membership: z.enum(MEMBERSHIP_MODES) });

const nodeName = z.string().min(1).max(253);

/** NodeSuspected, NodeDeclaredDead and NodeAlive share one shape (verdicts on vipmesh.ev.member.<target>.<watcher>). */
export const memberVerdictV1 = z.object({
  target: nodeName,
  watcher: nodeName,
  incarnation: z.number().int().nonnegative(),
  position: z.number().int().nonnegative(),
  evidence: z.object({
    lastReplyAt: z.number().nullable(),
    probes: z.number().int().nonnegative().max(1_000_000),
    indirect: z.array(z.object({ via: nodeName, replied: z.boolean() })).max(16),
    watcherHealth: z.number().int().min(0).max(MAX_HEALTH_SCORE),
  }),
});

/** v2 of NodeDeclaredDead: a starved watcher's, with the silence it waited for (verdicts.ts accepts it only past the widest timeout). */
export const memberDeadVerdictV2 = memberVerdictV1.extend({
  evidence: memberVerdictV1.shape.evidence.extend({
    starved: z.object({ silentForMs: z.number().int().nonnegative().max(86_400_000), widestMs: z.number().int().positive().max(600_000) }),
  }),
});

export const nodeLeftV1 = z.object({
  node: z.string().min(1),
  incarnation: z.number().int().nonnegative(),
  reason: z.enum(["shutdown", "drain"]),
});

export const nodeRestartingV1 = z.object({
  node: z.string().min(1),
  incarnation: z.number().int().nonnegative(),
  graceMs: z.number().int().positive().max(600_000),
});

export const vipConflictObservedV1 = z.object({
  vip: z.string().min(1),
  node: z.string().min(1),
  otherMac: z.string().regex(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/),
  ifname: z.string().min(1),
  count: z.number().int().positive(),
});

export const vipClaimedV1 = z.object({
  vip: z.string().min(1),
  node: z.string().min(1),
  incarnation: z.number().int().nonnegative(),
  term: z.number().int().positive(),
  reason: z.enum(CLAIM_REASONS),
  evidence: z.object({
    previousOwner: z.string().nullable(),
    previousOwnerStatus: z.string().nullable(),
    previousOwnerLastHeardAt: z.number().nullable(),
    silentForMs: z.number().nullable(),
    observedAt: z.number(),
    heartbeatSeq: z.number().int().nonnegative(),
    eligibleNodes: z.number().int().nonnegative(),
  }),
});

export const labelMap = z.record(z.string(), z.string());
export const selector = z.object({
  matchLabels: labelMap,
  matchExpressions: z.array(
    z.object({ key: z.string(), operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]), values: z.array(z.string()) }),
  ),
});

export const configAppliedV1 = z.object({
  source: z.string().min(1),
  hash: z.string().min(1),
  config: z.object({
    pools: z.array(
      z.object({ name: z.string(), addresses: z.array(z.string()), autoAssign: z.boolean(), avoidBuggyIPs: z.boolean(), labels: labelMap }),
    ),
    l2Advertisements: z.array(
      z.object({
        name: z.string(),
        ipAddressPools: z.array(z.string()),
        ipAddressPoolSelectors: z.array(selector),
        nodeSelectors: z.array(selector),
        interfaces: z.array(z.string()),
      }),
    ),
    services: z.array(
      z.object({
        namespace: z.string(),
        name: z.string(),
        ips: z.array(z.string()),
        externalTrafficPolicy: z.enum(["Cluster", "Local"]),
        labels: labelMap,
        readyEndpointNodes: z.array(z.string()),
      }),
    ),
    nodes: z.array(z.object({ name: z.string(), labels: labelMap })),
  }),
});

/** The newest version of each event type; `encodeEvent` writes these. */
export const CURRENT_VERSION = {
  NodeHeartbeatRecorded: 4,
  NodeFactsChanged: 2, // written as 1 by a speaker in heartbeats mode, so speakers of before v2 still read it
  NodePresence: 1,
  NodeSuspected: 1,
  NodeDeclaredDead: 2, // written as 1 unless the watcher was starved, so speakers of before v2 still read it
  NodeAlive: 1,
  NodeLeft: 1,
  NodeRestarting: 1,
  VipConflictObserved: 1,
  FenceEntered: 1,
  FenceLeft: 1,
  BgpSessionsChanged: 1,
  VipClaimed: 1,
  ConfigApplied: 6, // written as 3, 4 or 5 when no BGPPeer has a password (configSchemas.ts)
  ConfigObjectChanged: 1,
  ConfigObjectDeleted: 1,
  IpAllocated: 1,
  IpReleased: 1,
} as const;
