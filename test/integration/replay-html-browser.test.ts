import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeHeartbeatEntries, decodeLogEntries } from "../../src/events/entries.js";
import { legacySubjects, subjects } from "../../src/events/subjects.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { buildTimelineView } from "../../src/projections/timelineView.js";
import { renderTimelinePage } from "../../src/report/timelinePage.js";
import { CHROMIUM, dumpDom } from "../../src/testing/headlessChromium.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

// A log whose node names, release detail and configuration source are markup, drawn by the replay's page and
// opened by a real headless Chromium (Debian's, no network): the browser builds no element from them.

const HOSTILE = `n1"><script>document.title='pwned'</script><img src=x onerror="document.title='pwned'"><marquee>`;

function hostileLog(): SimCluster {
  const sim = new SimCluster();
  for (const n of ["node1", "node2"]) sim.addNode(n);
  sim.applyConfig(labConfig(1));
  sim.run(600);
  const vip = Object.keys(sim.owners())[0] ?? "";
  const evidence = { previousOwner: HOSTILE, previousOwnerStatus: HOSTILE, previousOwnerLastHeardAt: sim.time - 400, silentForMs: 400, observedAt: sim.time, heartbeatSeq: 1, eligibleNodes: 1 };
  sim.append("EVENTS", legacySubjects.vip(vip), { type: "VipClaimed", data: { vip, node: HOSTILE, incarnation: 1, term: 2, reason: "owner-dead", evidence } });
  sim.append("EVENTS", subjects.nodeLifecycle("node1"), { type: "NodeLeft", data: { node: HOSTILE, incarnation: 1, reason: "drain" } });
  sim.append("EVENTS", subjects.config("file"), { type: "ConfigApplied", data: { source: HOSTILE, hash: "h-hostile", config: labConfig(1) } });
  sim.append("EVENTS", legacySubjects.ip(vip), {
    type: "IpReleased",
    data: { ip: vip, service: "default/svc0", reason: "service-deleted", detail: HOSTILE, evidence: { allocator: HOSTILE, configHash: null, observedSeq: 1 } },
  });
  return sim;
}

describe.skipIf(!existsSync(CHROMIUM))("the replay's page in Chromium, from a hostile log", () => {
  it("shows the hostile strings as text and builds no element from them", async () => {
    const sim = hostileLog();
    const view = buildTimelineView({ events: decodeLogEntries(sim.events, () => undefined), heartbeats: decodeHeartbeatEntries(sim.heartbeats, () => undefined), settings: DEFAULT_MEMBERSHIP_SETTINGS });
    mkdirSync("build", { recursive: true });
    writeFileSync("build/replay-hostile.html", renderTimelinePage(view));
    const dom = await dumpDom("build/replay-hostile.html");
    expect(dom).toMatch(/<article class="failover"[^>]*data-reason="owner-dead"/);
    expect(dom).not.toMatch(/<script|<img|<marquee/i);
    expect(dom).toContain("&lt;script&gt;document.title='pwned'&lt;/script&gt;");
    expect(dom).toContain("<title>vipmesh replay: ownership timeline</title>");
  });
});
