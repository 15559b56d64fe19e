import { describe, expect, it } from "vitest";
import { eventsStreamConfig, heartbeatsStreamConfig, DEFAULT_STREAM_SETTINGS, requirementsOf } from "../../src/adapters/nats/streams.js";
import { describeDifferences, logDifferences, SNAPSHOT_STREAM, type StreamConfigView } from "../../src/events/logRequirements.js";

// The settings agents require of the log before they trust it, and every way to weaken it named by field.

const kv: StreamConfigView = { name: SNAPSHOT_STREAM, subjects: ["$KV.vipmesh_snapshots.>"], storage: "file", retention: "limits", num_replicas: 1 };
const asInstalled = (): Record<string, StreamConfigView> => ({
  EVENTS: eventsStreamConfig(DEFAULT_STREAM_SETTINGS) as StreamConfigView,
  HEARTBEATS: heartbeatsStreamConfig(DEFAULT_STREAM_SETTINGS) as StreamConfigView,
  [SNAPSHOT_STREAM]: kv,
});
const r = requirementsOf(DEFAULT_STREAM_SETTINGS);

describe("the log's required settings", () => {
  it("what `vipmesh log init` creates is what agents require", () => {
    expect(logDifferences(asInstalled(), r)).toEqual([]);
  });

  it.each<[string, string, Partial<StreamConfigView>, string]>([
    ["EVENTS keeps one message", "EVENTS", { max_msgs: 1 }, "max_msgs"],
    ["EVENTS may be purged", "EVENTS", { deny_purge: false }, "deny_purge"],
    ["EVENTS messages may be deleted", "EVENTS", { deny_delete: false }, "deny_delete"],
    ["EVENTS forgets after a day", "EVENTS", { max_age: 86_400 * 1e9 }, "max_age"],
    ["EVENTS in memory", "EVENTS", { storage: "memory" }, "storage"],
    ["EVENTS as a work queue", "EVENTS", { retention: "workqueue" }, "retention"],
    ["EVENTS takes rollups", "EVENTS", { allow_rollup_hdrs: true }, "allow_rollup_hdrs"],
    ["EVENTS with a short duplicates window", "EVENTS", { duplicate_window: 1e9 }, "duplicate_window"],
    ["EVENTS with one message per subject", "EVENTS", { max_msgs_per_subject: 1 }, "max_msgs_per_subject"],
    ["EVENTS with another subject", "EVENTS", { subjects: ["vipmesh.ev.vip.>"] }, "subjects"],
    ["EVENTS with per-message TTLs", "EVENTS", { allow_msg_ttl: true }, "allow_msg_ttl"],
    ["EVENTS sealed", "EVENTS", { sealed: true }, "sealed"],
    ["HEARTBEATS keeps beats another time", "HEARTBEATS", { max_age: 1e9 }, "max_age"],
    ["HEARTBEATS in a store of another kind", "HEARTBEATS", { storage: "s3" }, "storage"],
    ["the bucket in memory", SNAPSHOT_STREAM, { storage: "memory" }, "storage"],
  ])("%s: refused, naming %s.%s", (_name, stream, change, field) => {
    const configs = asInstalled();
    configs[stream] = { ...(configs[stream] as StreamConfigView), ...change };
    const diffs = logDifferences(configs, r);
    expect(diffs.map((d) => `${d.stream}.${d.field}`)).toEqual([`${stream}.${field}`]);
    expect(describeDifferences(diffs)).toContain(`${stream}.${field} is`);
  });

  it("fewer replicas than the agent was started with are refused; more are fine", () => {
    const configs = asInstalled();
    expect(logDifferences(configs, { ...r, minReplicas: 3 }).map((d) => d.field)).toEqual(["num_replicas", "num_replicas", "num_replicas"]);
    for (const c of Object.values(configs)) c.num_replicas = 5;
    expect(logDifferences(configs, { ...r, minReplicas: 3 })).toEqual([]);
  });

  it("HEARTBEATS is presence: on disk without an fsync per beat when unreplicated, in memory when replicated", () => {
    expect(heartbeatsStreamConfig(DEFAULT_STREAM_SETTINGS)).toMatchObject({ storage: "file", persist_mode: "async" });
    const replicated = { ...DEFAULT_STREAM_SETTINGS, replicas: 3 };
    const config = heartbeatsStreamConfig(replicated);
    expect(config).toMatchObject({ storage: "memory", num_replicas: 3 });
    expect(config).not.toHaveProperty("persist_mode"); // NATS refuses async persistence on a replicated stream
    expect(eventsStreamConfig(replicated)).toMatchObject({ storage: "file" });
    const configs = { ...asInstalled(), HEARTBEATS: config as StreamConfigView };
    for (const c of Object.values(configs)) c.num_replicas = 3;
    expect(logDifferences(configs, requirementsOf(replicated))).toEqual([]);
  });

  it("a missing stream is a difference of its own", () => {
    const configs: Record<string, StreamConfigView | null> = { ...asInstalled(), HEARTBEATS: null };
    expect(logDifferences(configs, r)).toEqual([{ stream: "HEARTBEATS", field: "(stream)", actual: "missing", wanted: "present" }]);
  });
});
