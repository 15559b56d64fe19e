import { describe, expect, it } from "vitest";
import { sessionReports, reportKey, stepReportWindow, type ReportWindow } from "../../src/agents/speaker/bgpSessionReport.js";
import type { BgpAnnouncerStats } from "../../src/agents/speaker/bgpAnnouncer.js";
import { formatRow } from "../../src/cli/replayFormat.js";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { MAX_REPORTED_SESSIONS } from "../../src/events/bgpSessionSchemas.js";
import { subjects } from "../../src/events/subjects.js";
import type { BgpSessionReport, BgpSessionsChanged, EventMeta } from "../../src/events/types.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState } from "../../src/projections/logState.js";
import { buildTimeline } from "../../src/projections/timeline.js";
import { markFor } from "../../src/projections/timelineMarks.js";

// BgpSessionsChanged: a speaker's BGP sessions on vipmesh.ev.announce.<node>, checked for shape at the boundary,
// for identity and meaning at the projection, and published only on a change that has waited out its window.

const T = Date.UTC(2026, 11, 5, 6, 0, 0);
const session = (over: Partial<BgpSessionReport> = {}): BgpSessionReport => ({ peer: "router", address: "198.18.2.1", peerASN: 64500, state: "established", since: T - 5_000, prefixesSent: 2, ...over });
const report = (sessions: BgpSessionReport[], node = "node1", incarnation = T - 60_000): BgpSessionsChanged => ({ type: "BgpSessionsChanged", data: { node, incarnation, backend: "native", sessions } });
const meta = (seq: number, subject = subjects.announce("node1")): EventMeta => ({ stream: "EVENTS", seq, time: T + seq, subject });

describe("the wire", () => {
  it("round-trips v1, with and without BFD", () => {
    const e = report([session(), session({ peer: "r2", address: "2001:db8::1", peerASN: null, state: "active", bfd: { profile: "fast", status: "Down", echo: "notSupported" } })]);
    const bytes = encodeEvent(e);
    expect(JSON.parse(new TextDecoder().decode(bytes))).toMatchObject({ type: "BgpSessionsChanged", v: 1 });
    const back = decodeEvent(bytes, meta(1));
    expect(back.ok && back.event.type === "BgpSessionsChanged" && back.event.data).toEqual(e.data);
  });

  it.each<[string, unknown, RegExp]>([
    ["an unknown state", { ...report([]).data, sessions: [{ ...session(), state: "up" }] }, /sessions.0.state/],
    ["a BFD word of no one", { ...report([]).data, sessions: [{ ...session(), bfd: { profile: null, status: "up" } }] }, /sessions.0.bfd.status/],
    ["a running counter", { ...report([]).data, sessions: [{ ...session(), updatesSent: 5 }] }, /Unrecognized key/],
    ["a negative ASN", { ...report([]).data, sessions: [{ ...session(), peerASN: -1 }] }, /sessions.0.peerASN/],
    ["too many sessions", { ...report([]).data, sessions: Array.from({ length: MAX_REPORTED_SESSIONS + 1 }, (_, i) => session({ peer: `p${i}` })) }, /sessions: /],
    ["an unknown backend", { ...report([]).data, backend: "bird" }, /backend/],
  ])("refuses %s at the boundary", (_name, data, detail) => {
    const r = decodeEvent(new TextEncoder().encode(JSON.stringify({ type: "BgpSessionsChanged", v: 1, data })), meta(1));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.invalid.reason).toBe("bad-data");
    expect(!r.ok && r.invalid.detail).toMatch(detail);
  });
});

describe("the projection's rules", () => {
  const apply = (e: BgpSessionsChanged, subject?: string) => applyLogBatch(emptyLogState(), decodeLogEntries([{ meta: meta(1, subject), data: encodeEvent(e) }], () => undefined));

  it("takes a report on its own node's subject", () => {
    const s = apply(report([session()]));
    expect([s.refusedIdentity, s.refused, s.invalidEvents]).toEqual([0, {}, 0]);
  });

  it.each<[string, BgpSessionsChanged, string | undefined, string]>([
    ["another node's report", report([session()], "node2"), undefined, "identity"],
    ["a report on a node subject", report([session()]), subjects.nodeLifecycle("node1"), "identity"],
    ["a peer named twice", report([session(), session({ state: "idle" })]), undefined, "session-report-invalid"],
    ["a peer address that is no address", report([session({ address: "router.example" })]), undefined, "session-report-invalid"],
    ["a state change dated two hours ahead", report([session({ since: T + 2 * 3_600_000 })]), undefined, "session-report-invalid"],
    ["an incarnation two hours ahead", report([session()], "node1", T + 2 * 3_600_000), undefined, "incarnation-in-future"],
  ])("refuses %s", (_name, e, subject, reason) => {
    const s = apply(e, subject);
    if (reason === "identity") expect(s.refusedIdentity).toBe(1);
    else expect(s.refused).toEqual({ [reason]: 1 });
  });

  it("shows in the replay text and marks", () => {
    const { rows } = buildTimeline(decodeLogEntries([{ meta: meta(7), data: encodeEvent(report([session(), session({ peer: "r2", state: "active", prefixesSent: 0, bfd: { profile: "fast", status: "Down" } })])) }], () => undefined));
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(formatRow(row)).toBe(
      "2026-12-05T06:00:00.007Z  #7  node node1's BGP sessions (native): 1 of 2 Established; router 198.18.2.1 AS 64500 established, 2 prefix(es) sent; r2 198.18.2.1 AS 64500 active, 0 prefix(es) sent, BFD Down",
    );
    expect(markFor(row)).toMatchObject({ kind: "bgp", title: "node1's BGP sessions: 1 of 2 Established" });
  });
});

describe("what the speaker reports, and when", () => {
  const stats = (state: string, bfd?: string): BgpAnnouncerStats => ({
    peers: { router: { state, established: 1, updatesSent: 40, prefixesSent: 2, unsendable: 0, updateErrors: {}, prefixesIgnored: 0, address: "198.18.2.1", ...(bfd === undefined ? {} : { bfd: { state: bfd, transmitIntervalMs: 300, receiveIntervalMs: 300, detectMultiplier: 3, profile: "fast" } }) } },
  });

  it("keeps since while the state holds, moves it with a state or BFD change, and leaves running counters out", () => {
    const a = sessionReports(null, stats("established", "up"), [], 1_000);
    expect(a).toEqual([{ peer: "router", address: "198.18.2.1", peerASN: null, state: "established", since: 1_000, prefixesSent: 2, bfd: { profile: "fast", status: "Up" } }]);
    expect(sessionReports(null, stats("established", "up"), a, 2_000)[0]?.since).toBe(1_000);
    expect(sessionReports(null, stats("established", "down"), a, 3_000)[0]?.since).toBe(3_000);
    expect(sessionReports(null, stats("openSent"), a, 4_000)[0]).toMatchObject({ state: "openSent", since: 4_000 });
    expect(sessionReports(null, stats("weird"), a, 4_000)[0]?.state).toBe("idle");
  });

  it("publishes a change once it has waited the window, one report however often it flaps, nothing when it is undone", () => {
    const windowMs = 1_000;
    let w: ReportWindow = { publishedKey: null, pendingSince: null };
    const published: number[] = [];
    const keys = (t: number): string => (t < 500 ? "up" : t < 3_000 ? (Math.floor(t / 100) % 2 === 0 ? "up" : "down") : "up");
    for (let t = 0; t <= 5_000; t += 50) {
      const step = stepReportWindow(w, keys(t), t, windowMs);
      w = step.window;
      if (step.publish) published.push(t);
    }
    // first report after one window; the flapping between 0.5 s and 3 s makes at most one report per window
    expect(published[0]).toBe(1_000);
    expect(published.length).toBeLessThanOrEqual(4);
    expect(w.publishedKey).toBe("up");
    const undone = stepReportWindow(stepReportWindow({ publishedKey: "up", pendingSince: null }, "down", 0, windowMs).window, "up", 500, windowMs);
    expect(undone).toEqual({ window: { publishedKey: "up", pendingSince: null }, publish: false });
    expect(reportKey([session({ since: 1 })])).toBe(reportKey([session({ since: 2 })]));
  });
});
