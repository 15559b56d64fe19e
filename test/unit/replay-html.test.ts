import { mkdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeHeartbeatEntries, decodeLogEntries } from "../../src/events/entries.js";
import { encodeEvent } from "../../src/events/codec.js";
import { legacySubjects, subjects } from "../../src/events/subjects.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { buildTimelineView, onlyVip } from "../../src/projections/timelineView.js";
import { renderTimelinePage } from "../../src/report/timelinePage.js";
import { escapeHtml } from "../../src/report/escapeHtml.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

// The replay's HTML page: its data is a pure function of the two logs (checked here on a simulated failover), and
// every string from the log reaches the page escaped. test/lab/replay-html.test.ts opens a real one in Chromium.

const ignore = (): void => undefined;
const settings = DEFAULT_MEMBERSHIP_SETTINGS;

function failoverHistory(names = ["node1", "node2", "node3"]): { sim: SimCluster; killed: string; killedAt: number } {
  const sim = new SimCluster();
  for (const n of names) sim.addNode(n);
  sim.applyConfig(labConfig(1));
  sim.run(800);
  const killed = Object.values(sim.owners())[0] ?? "";
  const killedAt = sim.time;
  sim.kill(killed);
  sim.run(1_000);
  return { sim, killed, killedAt };
}

const viewOf = (sim: SimCluster, heartbeatsFrom = 0) =>
  buildTimelineView({
    events: decodeLogEntries(sim.events, ignore),
    heartbeats: decodeHeartbeatEntries(sim.heartbeats.filter((h) => h.meta.time >= heartbeatsFrom), ignore),
    settings,
  });

describe("the replay's timeline view", () => {
  const { sim, killed, killedAt } = failoverHistory();
  const view = viewOf(sim);
  const failover = view.failovers[0];

  it("has one failover from the killed owner, with when it was last heard, declared dead and claimed", () => {
    expect(view.failovers).toHaveLength(1);
    expect(failover).toMatchObject({ from: killed, reason: "owner-dead", term: 2 });
    expect(failover?.to).not.toBe(killed);
    expect(failover?.lastHeardAt).toBeLessThanOrEqual(killedAt);
    expect(failover?.declaredDeadAt).toBeGreaterThan(failover?.lastHeardAt ?? Infinity);
    expect(failover?.declaredDeadAt).toBeLessThanOrEqual(failover?.claimedAt ?? 0);
    expect(failover?.gapMs).toBe((failover?.claimedAt ?? 0) - (failover?.lastHeardAt ?? 0));
    expect(failover?.gapMs).toBeGreaterThan(settings.deadAfterMs);
  });

  it("draws the dead owner's bar as silent from its last beat to the claim", () => {
    const owners = view.vips[0]?.owners ?? [];
    expect(owners.map((o) => [o.node, o.answering])).toEqual([[killed, true], [killed, false], [failover?.to, true]]);
    expect(owners[1]).toMatchObject({ from: failover?.lastHeardAt, to: failover?.claimedAt });
  });

  it("shows the killed node alive, then suspect, then dead", () => {
    const lane = view.nodes.find((n) => n.node === killed);
    expect(lane?.spans.map((s) => s.status)).toEqual(["alive", "suspect", "dead"]);
    expect(lane?.spans[2]?.from).toBe(failover?.declaredDeadAt);
  });

  it("shows a node that left as left until a later incarnation beats", () => {
    const other = failoverHistory();
    other.sim.leave("node3");
    other.sim.run(500);
    other.sim.restart("node3");
    other.sim.run(300);
    const spans = viewOf(other.sim).nodes.find((n) => n.node === "node3")?.spans ?? [];
    expect(spans.map((s) => [s.status, s.incarnation])).toEqual([["alive", 1], ["left", 1], ["alive", 2]]);
  });

  it("a planned move: when the owner left, and no gap", () => {
    const planned = failoverHistory();
    const owner = Object.values(planned.sim.owners())[0] ?? "";
    planned.sim.leave(owner);
    const leftAt = planned.sim.time;
    planned.sim.run(300);
    const view = viewOf(planned.sim);
    const move = view.failovers.find((f) => f.reason === "owner-left");
    expect(move).toMatchObject({ from: owner, leftAt, gapMs: 0, declaredDeadAt: null });
    expect(renderTimelinePage(view)).toMatch(/not dead: it left at [^<]+<span class="muted">\(\+[\d.]+ s\)<\/span> \(a planned move\)/);
  });

  it("puts the claim's reason and evidence on its mark", () => {
    const claim = view.vips[0]?.marks.find((m) => m.kind === "claim" && m.seq === failover?.seq);
    expect(claim?.facts).toContainEqual({ label: "reason", value: { text: "owner-dead" } });
    expect(claim?.facts).toContainEqual({ label: "previous owner last heard", value: { at: failover?.lastHeardAt } });
    expect(view.vips[0]?.marks.some((m) => m.kind === "allocation")).toBe(true);
    expect(view.configs).toHaveLength(1);
  });

  it("says when the membership detail has aged out, and keeps the claim's evidence", () => {
    const aged = viewOf(sim, (failover?.claimedAt ?? 0) + 100);
    expect(aged.membershipAgedOut).toBe(true);
    expect(aged.failovers[0]).toMatchObject({ lastHeardAt: failover?.lastHeardAt, declaredDeadAt: null, gapMs: failover?.gapMs });
    const page = renderTimelinePage(aged);
    expect(page).toContain("Membership detail has aged out");
    expect(page).toContain("those heartbeats have aged out");
    expect(renderTimelinePage(view)).not.toContain("Membership detail has aged out");
  });

  it("writes a page that names the failover with its reason and gap", () => {
    const page = renderTimelinePage(view);
    mkdirSync("build", { recursive: true });
    writeFileSync("build/replay-unit.html", page);
    expect(page).toContain(`data-seq="${failover?.seq}" data-reason="owner-dead"`);
    expect(page).toMatch(/gap a client could see<\/th><td>up to \d+ ms/);
    expect(page).not.toMatch(/\b(src|href)=/);
  });
});

// Every element the page itself writes: anything else in it would have come from the log.
const PAGE_TAGS = ["html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "p", "ul", "li", "b", "span", "i", "section", "svg", "defs", "pattern", "rect", "text", "line", "g", "circle", "path", "article", "table", "tr", "th", "td", "details", "summary", "code", "br"];

describe("the page of one VIP (--vip)", () => {
  it("keeps that VIP's lane and failovers, and every node", () => {
    const sim = new SimCluster();
    for (const n of ["node1", "node2", "node3"]) sim.addNode(n);
    sim.applyConfig(labConfig(4));
    sim.run(800);
    sim.kill("node1");
    sim.run(800);
    const view = viewOf(sim);
    const moved = view.failovers[0]?.vip ?? "";
    const stayed = view.vips.find((v) => !view.failovers.some((f) => f.vip === v.vip))?.vip ?? "";
    expect(view.vips).toHaveLength(4);
    expect(onlyVip(view, moved)).toMatchObject({ vips: [{ vip: moved }], failovers: [{ vip: moved }], nodes: view.nodes });
    expect(onlyVip(view, stayed)).toMatchObject({ vips: [{ vip: stayed }], failovers: [] });
  });
});

describe("text from the log is escaped", () => {
  const hostile = `n1"><script>document.title='pwned'</script><img src=x onerror=alert(1)>`;

  it("escapes the characters that open tags or end attributes", () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe("&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;");
  });

  it("a hostile node name, release detail and configuration source become text, never markup", () => {
    const { sim } = failoverHistory();
    const vip = Object.keys(sim.owners())[0] ?? "";
    const evidence = { previousOwner: hostile, previousOwnerStatus: hostile, previousOwnerLastHeardAt: sim.time - 400, silentForMs: 400, observedAt: sim.time, heartbeatSeq: 1, eligibleNodes: 1 };
    sim.append("EVENTS", legacySubjects.vip(vip), { type: "VipClaimed", data: { vip, node: hostile, incarnation: 1, term: 3, reason: "owner-dead", evidence } });
    sim.append("EVENTS", subjects.nodeLifecycle("node1"), { type: "NodeLeft", data: { node: hostile, incarnation: 1, reason: "drain" } });
    sim.append("EVENTS", subjects.config("file"), { type: "ConfigApplied", data: { source: `<marquee>${hostile}`, hash: "h-hostile", config: labConfig(0) } });
    sim.append("EVENTS", legacySubjects.ip("198.18.8.1"), {
      type: "IpReleased",
      data: { ip: "198.18.8.1", service: "default/svc0", reason: "service-deleted", detail: hostile, evidence: { allocator: hostile, configHash: null, observedSeq: 1 } },
    });
    const view = viewOf(sim);
    expect(view.failovers.map((f) => f.to)).toContain(hostile);
    const page = renderTimelinePage(view);
    mkdirSync("build", { recursive: true });
    writeFileSync("build/replay-hostile.html", page);
    expect(page).toContain(escapeHtml(hostile));
    expect(page).not.toContain(hostile);
    const tags = new Set([...page.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]?.toLowerCase()));
    expect([...tags].filter((t) => !PAGE_TAGS.includes(t ?? ""))).toEqual([]);
    expect(page).toContain("default-src 'none'");
  });

  it("a message that fails validation is counted on the page, not rendered", () => {
    const { sim } = failoverHistory();
    const raw = [...sim.events, { meta: { stream: "EVENTS" as const, seq: sim.events.length + 1, time: sim.time, subject: "vipmesh.ev.vip.x<script>" }, data: encodeEvent({ type: "NodeLeft", data: { node: "", incarnation: 1, reason: "drain" } }) }];
    const view = buildTimelineView({ events: decodeLogEntries(raw, ignore), heartbeats: [], settings });
    expect(view.counts.invalid).toBe(1);
    expect(renderTimelinePage(view)).not.toContain("<script");
  });
});

describe("a long log", () => {
  it("builds the view of 300,000 messages (no argument-spread limits, no quadratic lanes)", () => {
    const { sim } = failoverHistory();
    const [first] = decodeLogEntries(sim.events.slice(-1), ignore);
    const vip = Object.keys(sim.owners())[0] ?? "";
    const conflict = { type: "VipConflictObserved" as const, data: { vip, node: "node2", otherMac: "02:00:00:00:00:99", ifname: "eth0", count: 1 } };
    const events = Array.from({ length: 300_000 }, (_, i) => ({ meta: { ...(first?.meta ?? { stream: "EVENTS" as const, time: 0 }), subject: subjects.conflict(vip, "node2"), seq: 1_000 + i, time: sim.time + i }, event: conflict }));
    const view = buildTimelineView({ events, heartbeats: [], settings });
    expect(view.to).toBe(sim.time + 299_999);
    expect(view.vips[0]?.marks).toHaveLength(300_000);
    // What fails this is a thrown RangeError or a quadratic build (hours), not seconds of a busy machine: 2 s quiet,
    // 7.6 s at load 3.5, over vitest's default 5 s.
  }, 120_000);
});
