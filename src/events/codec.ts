import { z } from "zod";
import { configAppliedV2, configAppliedVersion, parseConfigAppliedV3, parseConfigAppliedV4, parseConfigAppliedV5, parseConfigAppliedV6, parseConfigAppliedV7 } from "./configSchemas.js";
import { parseBgpSessionsChangedV1 } from "./bgpSessionSchemas.js";
import { configObjectChangedV1, configObjectDeletedV1 } from "./configObjectSchemas.js";
import { fenceEnteredV1, fenceLeftV1 } from "./fenceSchemas.js";
import { ipAllocatedV1, ipReleasedV1 } from "./ipamSchemas.js";
import { jsonDepth, MAX_EVENT_DEPTH, maxEventBytes } from "./limits.js";
import { configAppliedV1, CURRENT_VERSION, memberDeadVerdictV2, memberVerdictV1, nodeFactsChangedV1, nodeFactsChangedV2, nodePresenceV1, nodeHeartbeatRecordedV1, nodeHeartbeatRecordedV2, nodeHeartbeatRecordedV3, nodeHeartbeatRecordedV4, nodeLeftV1, nodeRestartingV1, vipClaimedV1, vipConflictObservedV1 } from "./schemas.js";
import { upcastConfigAppliedV1 } from "./upcast.js";
import type { ConfigObjectChanged, DomainEvent, EventMeta, Logged, NodeFactsChanged, NodeHeartbeatRecorded } from "./types.js";

// The boundary between bytes on the log and domain events: envelope -> schema of (type, version) -> upcast.

type Decoder = (data: unknown) => DomainEvent;

const decoders: Record<string, Decoder> = {
  // v1 heartbeats carried no routes: an interface then answers only for VIPs in its own subnets.
  "NodeHeartbeatRecorded@1": (d) => {
    const v1 = nodeHeartbeatRecordedV1.parse(d);
    return { type: "NodeHeartbeatRecorded", data: upcastHealth({ ...v1, interfaces: v1.interfaces.map((i) => ({ ...i, routes: [] })) }) };
  },
  "NodeHeartbeatRecorded@2": (d) => ({ type: "NodeHeartbeatRecorded", data: upcastHealth(nodeHeartbeatRecordedV2.parse(d)) }),
  "NodeHeartbeatRecorded@3": (d) => ({ type: "NodeHeartbeatRecorded", data: upcastHealth(nodeHeartbeatRecordedV3.parse(d)) }),
  "NodeHeartbeatRecorded@4": (d) => ({ type: "NodeHeartbeatRecorded", data: nodeHeartbeatRecordedV4.parse(d) }),
  "NodeFactsChanged@1": (d) => ({ type: "NodeFactsChanged", data: nodeFactsChangedV1.parse(d) }),
  "NodeFactsChanged@2": (d) => ({ type: "NodeFactsChanged", data: nodeFactsChangedV2.parse(d) }),
  "NodePresence@1": (d) => ({ type: "NodePresence", data: nodePresenceV1.parse(d) }),
  "NodeSuspected@1": (d) => ({ type: "NodeSuspected", data: memberVerdictV1.parse(d) }),
  "NodeDeclaredDead@1": (d) => ({ type: "NodeDeclaredDead", data: memberVerdictV1.parse(d) }),
  "NodeDeclaredDead@2": (d) => ({ type: "NodeDeclaredDead", data: memberDeadVerdictV2.parse(d) }),
  "NodeAlive@1": (d) => ({ type: "NodeAlive", data: memberVerdictV1.parse(d) }),
  "NodeLeft@1": (d) => ({ type: "NodeLeft", data: nodeLeftV1.parse(d) }),
  "NodeRestarting@1": (d) => ({ type: "NodeRestarting", data: nodeRestartingV1.parse(d) }),
  "VipConflictObserved@1": (d) => ({ type: "VipConflictObserved", data: vipConflictObservedV1.parse(d) }),
  "FenceEntered@1": (d) => ({ type: "FenceEntered", data: fenceEnteredV1.parse(d) }),
  "FenceLeft@1": (d) => ({ type: "FenceLeft", data: fenceLeftV1.parse(d) }),
  "BgpSessionsChanged@1": (d) => ({ type: "BgpSessionsChanged", data: parseBgpSessionsChangedV1(d) }),
  "VipClaimed@1": (d) => ({ type: "VipClaimed", data: vipClaimedV1.parse(d) }),
  "ConfigApplied@1": (d) => ({ type: "ConfigApplied", data: upcastConfigAppliedV1(configAppliedV1.parse(d)) }),
  "ConfigApplied@2": (d) => ({ type: "ConfigApplied", data: configAppliedV2.parse(d) }),
  "ConfigApplied@3": (d) => ({ type: "ConfigApplied", data: parseConfigAppliedV3(d) }),
  "ConfigApplied@4": (d) => ({ type: "ConfigApplied", data: parseConfigAppliedV4(d) }),
  "ConfigApplied@5": (d) => ({ type: "ConfigApplied", data: parseConfigAppliedV5(d) }),
  "ConfigApplied@6": (d) => ({ type: "ConfigApplied", data: parseConfigAppliedV6(d) }),
  "ConfigApplied@7": (d) => ({ type: "ConfigApplied", data: parseConfigAppliedV7(d) }),
  "ConfigObjectChanged@1": (d) => ({ type: "ConfigObjectChanged", data: configObjectChangedV1.parse(d) as ConfigObjectChanged["data"] }),
  "ConfigObjectDeleted@1": (d) => ({ type: "ConfigObjectDeleted", data: configObjectDeletedV1.parse(d) }),
  "IpAllocated@1": (d) => ({ type: "IpAllocated", data: ipAllocatedV1.parse(d) }),
  "IpReleased@1": (d) => ({ type: "IpReleased", data: ipReleasedV1.parse(d) }),
};

export type InvalidEvent = { reason: "too-large" | "too-deep" | "not-json" | "bad-envelope" | "unknown-type" | "bad-data"; detail: string; meta: EventMeta };
export type DecodeResult = { ok: true; event: Logged } | { ok: false; invalid: InvalidEvent };

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true });

export function encodeEvent(event: DomainEvent): Uint8Array {
  const v = event.type === "ConfigApplied" ? configAppliedVersion(event.data.config)
    : event.type === "NodeHeartbeatRecorded" ? heartbeatVersion(event)
    : event.type === "NodeFactsChanged" ? factsVersion(event)
    : event.type === "NodeDeclaredDead" && event.data.evidence.starved === undefined ? 1
    : CURRENT_VERSION[event.type];
  return textEncoder.encode(JSON.stringify({ type: event.type, v, data: event.type === "NodeHeartbeatRecorded" && v === 2 ? withoutHealth(event) : event.type === "NodeFactsChanged" && v === 1 ? withoutMode(event) : event.data }));
}

/** Facts of a speaker in heartbeats mode are written as v1 (no mode field), which speakers of before v2 still decode. */
const factsVersion = (event: NodeFactsChanged): number => (event.data.membership === "verdicts" ? CURRENT_VERSION.NodeFactsChanged : 1);

const withoutMode = (event: NodeFactsChanged): Omit<NodeFactsChanged["data"], "membership"> => {
  const { membership: _membership, ...rest } = event.data;
  return rest;
};

/** The v2 shape has no health score (a beat that still carries interfaces is an old speaker's). */
const withoutHealth = (event: NodeHeartbeatRecorded): Omit<NodeHeartbeatRecorded["data"], "health"> => {
  const { health: _health, ...rest } = event.data;
  return rest;
};

/** A heartbeat that carries interfaces is the v2 shape (v3 and v4 would drop them); speakers send v4, without. */
const heartbeatVersion = (event: NodeHeartbeatRecorded): number => (event.data.interfaces === undefined ? CURRENT_VERSION.NodeHeartbeatRecorded : 2);

/** Beats before v4 reported no health, and their speakers widened no timeout: null keeps an old log judged as it was. */
const upcastHealth = <T extends object>(data: T): T & { health: null } => ({ ...data, health: null });

/** Never throws: invalid input comes back as a value so consumers can count it and move on. */
export function decodeEvent(bytes: Uint8Array, meta: EventMeta): DecodeResult {
  const maxBytes = maxEventBytes(meta.subject);
  if (bytes.length > maxBytes) return { ok: false, invalid: { reason: "too-large", detail: `${bytes.length} bytes, more than ${maxBytes} on this subject`, meta } };
  const depth = jsonDepth(bytes);
  if (depth > MAX_EVENT_DEPTH) return { ok: false, invalid: { reason: "too-deep", detail: `nested deeper than ${MAX_EVENT_DEPTH}`, meta } };
  let raw: unknown;
  try {
    raw = JSON.parse(textDecoder.decode(bytes));
  } catch (err) {
    return { ok: false, invalid: { reason: "not-json", detail: (err as Error).message, meta } };
  }
  // The envelope is checked by hand: it is on every message of the replay path, and a schema costs more here.
  if (typeof raw !== "object" || raw === null || !("type" in raw) || !("v" in raw) || !("data" in raw)) {
    return { ok: false, invalid: { reason: "bad-envelope", detail: "expected an object with type, v and data", meta } };
  }
  const { type, v, data } = raw;
  if (typeof type !== "string" || typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    return { ok: false, invalid: { reason: "bad-envelope", detail: "type must be a string and v a positive integer", meta } };
  }
  const decoder = decoders[`${type}@${v}`];
  if (!decoder) return { ok: false, invalid: { reason: "unknown-type", detail: `${type} v${v}`, meta } };
  try {
    const event = decoder(data) as Logged;
    event.meta = meta;
    return { ok: true, event };
  } catch (err) {
    const detail = err instanceof z.ZodError ? err.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") : String(err);
    return { ok: false, invalid: { reason: "bad-data", detail, meta } };
  }
}
