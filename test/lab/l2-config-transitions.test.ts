import { writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster, l2Manifests } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import { auditThenDestroy } from "../support/labAudit.js";

// Issue 10, item 1, end to end: speakers re-read --config (every 2 s, the default) and publish it; a configuration
// that returns to an earlier state must reach the log, the allocators and ARP like any other change. Before, the
// second A of A -> B -> A was dropped as a duplicate for two minutes: the restored VIP stayed unanswered.

const KEPT = "198.18.0.210";
const TOGGLED = "198.18.0.211";
const unavailable = labUnavailableReason();

describe.skipIf(unavailable !== undefined)("a configuration that returns to an earlier state, in the lab", () => {
  let cluster: L2Cluster;

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 2, vips: [KEPT, TOGGLED], log: pino({ level: "warn" }) });
    await cluster.waitForOwner(KEPT, 20_000);
    await cluster.waitForOwner(TOGGLED, 20_000);
  });

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("A -> B -> A -> B -> A a few seconds apart: the toggled VIP stops and starts being answered every time", async () => {
    const both = l2Manifests([KEPT, TOGGLED]);
    const keptOnly = l2Manifests([KEPT]);
    const unanswered = async (): Promise<true | undefined> => ((await cluster.resolveOwner(TOGGLED)) === null ? true : undefined);
    for (let round = 1; round <= 2; round++) {
      writeFileSync(cluster.configPath, keptOnly);
      await waitFor(`round ${round}: ${TOGGLED} no longer answered`, unanswered, 15_000, 200);
      writeFileSync(cluster.configPath, both);
      const owner = await cluster.waitForOwner(TOGGLED, 15_000);
      expect(owner).toBeGreaterThan(0);
    }
    expect(await cluster.resolveOwner(KEPT)).not.toBeNull();
  });
});
