// `vipmesh status` against a live lab (real nats-server, allocators and speakers from the compiled CLI, real ARP):
// all well (exit 0); a crashed owner: the new owner and the dead node (exit 1); a pulled cable: the third owner, and
// the fencing episode it caused on the log; all revived: exit 0 again. An owner deaf to NATS (one-way fault): the new
// owner and the dead node; once it hears again its fencing reaches the log, FenceEntered after FenceLeft, and status
// must not take that late FenceEntered for an open episode. An owner cut off from NATS both ways but not from its
// peers: it fences and is not ready, status shows it dead and its VIP moved (exit 1) for as long as it is cut off;
// once back, its FenceLeft brings the whole episode to the log and status shows it (exit 0).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole } from "../../src/lab/topology.js";
import { deafenToNats, healPartition, partitionFromNats } from "../../src/lab/faults.js";
import { getInLab } from "../support/labScrape.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import { auditThenDestroy } from "../support/labAudit.js";
import { labStatus, nodeStatus, ownerOf, problemsOf, type StatusRun } from "../support/labStatus.js";

const VIP = "198.18.0.200";
const unavailable = labUnavailableReason();

describe.skipIf(unavailable !== undefined)("vipmesh status while the lab fails nodes", () => {
  let cluster: L2Cluster;
  const statusUntil = (what: string, ok: (r: StatusRun) => boolean, timeoutMs = 30_000): Promise<StatusRun> =>
    waitFor(what, async () => {
      const r = await labStatus(cluster);
      return ok(r) ? r : undefined;
    }, timeoutMs, 250);

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }), speakerArgs: ["--metrics-port", "7472"] });
    await cluster.waitForOwner(VIP, 20_000);
  }, 120_000);

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("all well: every node alive, the VIP with the node that answers ARP, exit 0", async () => {
    const owner = await cluster.waitForOwner(VIP);
    const r = await statusUntil("status exit 0", (x) => x.code === 0);
    expect(r.status.problems).toEqual([]);
    expect(r.status.nodes.map((n) => [n.node, n.status, n.fenced])).toEqual([1, 2, 3].map((k) => [nodeRole(k), "alive", null]));
    expect(ownerOf(r.status, VIP)).toBe(nodeRole(owner));
    expect(r.status.pools.map((p) => p.v4.assigned)).toEqual([1]);
  });

  it("a crashed owner and a pulled cable: the new owners and the dead nodes with exit 1, the fencing on the log, exit 0 once all are back", async () => {
    const first = await cluster.waitForOwner(VIP);
    await cluster.crashNode(first);
    const second = await cluster.waitForOwner(VIP, 15_000, first);
    const crashed = await statusUntil("the new owner and the dead node", (x) => ownerOf(x.status, VIP) === nodeRole(second) && nodeStatus(x.status, nodeRole(first)) === "dead");
    expect(crashed.code).toBe(1);
    expect(problemsOf(crashed.status)).toEqual([`node-dead ${nodeRole(first)}`]);
    expect(crashed.status.vips[0]).toMatchObject({ owner: nodeRole(second), ownerStatus: "alive", reason: "owner-dead" });

    await cluster.lab.setLink(nodeRole(second), false);
    const third = await cluster.waitForOwner(VIP, 15_000, second);
    try {
      expect(third).not.toBe(first);
      const cut = await statusUntil("the third owner and two dead nodes", (x) => ownerOf(x.status, VIP) === nodeRole(third) && nodeStatus(x.status, nodeRole(second)) === "dead");
      expect(cut.code).toBe(1);
      expect(problemsOf(cut.status).sort()).toEqual([`node-dead ${nodeRole(first)}`, `node-dead ${nodeRole(second)}`].sort());
    } finally {
      await cluster.lab.setLink(nodeRole(second), true);
    }
    await cluster.reviveNode(first);
    const back = await statusUntil("status exit 0 after recovery", (x) => x.code === 0, 60_000);
    expect(back.status.nodes.map((n) => [n.node, n.status, n.fenced])).toEqual([1, 2, 3].map((k) => [nodeRole(k), "alive", null]));
    // (a busy box may have moved it once more since: the owner is whoever claimed last, alive)
    expect(back.status.vips[0]?.ownerStatus).toBe("alive");
    // The cable pull's fencing reached the log once the cable was back (FenceLeft; its FenceEntered, published while
    // the cable was out, may be lost), and was closed: nothing open, nothing wrong.
    const rows = await replayCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), vip: null, json: false }, () => undefined);
    expect(rows.filter((r) => r.kind === "fence-left" && r.node === nodeRole(second))).toHaveLength(1);
  });

  it("an owner deaf to NATS: the new owner and the dead node with exit 1; exit 0 once it hears again, its late fencing report closed", async () => {
    const victim = await cluster.waitForOwner(VIP);
    await deafenToNats(cluster.lab, nodeRole(victim));
    const deafAt = Date.now();
    try {
      const next = await cluster.waitForOwner(VIP, 15_000, victim);
      const cut = await statusUntil("the new owner and the deaf node dead", (x) => ownerOf(x.status, VIP) === nodeRole(next) && nodeStatus(x.status, nodeRole(victim)) === "dead");
      expect(cut.code).toBe(1);
      expect(problemsOf(cut.status)).toContain(`node-dead ${nodeRole(victim)}`);
      expect(cut.status.vips[0]?.ownerStatus).toBe("alive");
      // Deaf long enough for its client to give the connection up (missed pings, ~4 s) and retry: what it published
      // meanwhile then arrives after the heal, after what it publishes once back.
      await new Promise((r) => setTimeout(r, Math.max(0, deafAt + 20_000 - Date.now())));
    } finally {
      await healPartition(cluster.lab, nodeRole(victim));
    }
    const fenceRows = async () => (await replayCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), vip: null, json: false }, () => undefined))
      .filter((r) => (r.kind === "fence-left" || r.kind === "fence-entered") && r.node === nodeRole(victim));
    await waitFor("the deaf node's fencing closed on the log", async () => ((await fenceRows()).some((r) => r.kind === "fence-left") ? true : undefined), 60_000, 500);
    await statusUntil("status exit 0 once it hears again", (x) => x.code === 0, 60_000);
    await new Promise((r) => setTimeout(r, 5_000)); // what was published while deaf has landed by now
    const settled = await labStatus(cluster);
    expect(settled.status.nodes.find((n) => n.node === nodeRole(victim))).toMatchObject({ status: "alive", fenced: null });
    expect(settled.code).toBe(0);
  }, 150_000);

  it("an owner cut off from NATS but not from its peers: fenced and not ready, shown as dead with its VIP moved (exit 1) while cut off; afterwards the episode, exit 0", async () => {
    const victim = await cluster.waitForOwner(VIP);
    const node = nodeRole(victim);
    await partitionFromNats(cluster.lab, node);
    const cutAt = Date.now();
    try {
      // The node fences itself (its peers still reach the log and no longer hear it) and says so on /readyz...
      const ready = await waitFor("the cut-off node not ready, fenced", async () => {
        const r = await getInLab(cluster.lab, node, "/readyz");
        return r.status === 503 && r.body.includes("speaker: fenced") ? r : undefined;
      }, 20_000, 200);
      expect(ready.body).toMatch(/^speaker: fenced/m);
      // ...but cannot tell the log: status shows what the log knows, a dead node (not "fenced") and the VIP moved.
      const next = await cluster.waitForOwner(VIP, 15_000, victim);
      const cut = await statusUntil("the new owner and the cut-off node dead", (x) => ownerOf(x.status, VIP) === nodeRole(next) && nodeStatus(x.status, node) === "dead");
      expect(cut.code).toBe(1);
      expect(problemsOf(cut.status)).toContain(`node-dead ${node}`);
      expect(cut.status.nodes.find((n) => n.node === node)?.fenced).toBeNull();
      expect(cut.status.vips[0]).toMatchObject({ owner: nodeRole(next), ownerStatus: "alive", reason: "owner-dead" });
      // Still a problem a few seconds on (the exit stays non-zero while the node is cut off).
      await new Promise((r) => setTimeout(r, Math.max(0, cutAt + 8_000 - Date.now())));
      const still = await labStatus(cluster);
      expect(still.code).toBe(1);
      expect(problemsOf(still.status)).toContain(`node-dead ${node}`);
    } finally {
      await healPartition(cluster.lab, node);
    }
    const healedAt = Date.now();
    // Back: its FenceLeft (the whole episode) reaches the log, and status shows the episode on an all-well cluster.
    // This episode's: the node may have fenced in an earlier test (the deaf node's), whose episode is already there.
    const back = await statusUntil("the episode on the log and exit 0", (x) => x.code === 0 && (x.status.nodes.find((n) => n.node === node)?.lastFence?.enteredAt ?? 0) >= cutAt - 1_000, 60_000);
    const row = back.status.nodes.find((n) => n.node === node);
    expect(row).toMatchObject({ status: "alive", fenced: null });
    const episode = row?.lastFence;
    expect(episode?.enteredAt).toBeGreaterThanOrEqual(cutAt - 1_000);
    expect(episode?.enteredAt).toBeLessThan(cutAt + 2_000);
    expect(episode?.leftAt).toBeGreaterThan(cutAt + 7_000);
    expect(episode?.leftAt).toBeLessThan(Date.now() + 1_000);
    expect((episode?.leftAt ?? 0) - healedAt).toBeLessThan(30_000);
    expect((await getInLab(cluster.lab, node, "/readyz")).status).toBe(200);
    const rows = await replayCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), vip: null, json: false }, () => undefined);
    expect(rows.filter((r) => r.kind === "fence-left" && r.node === node && r.time >= cutAt)).toHaveLength(1);
  }, 150_000);
});
