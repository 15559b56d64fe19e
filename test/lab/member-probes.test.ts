// Lab: membership probers in four network namespaces on the lab switch, each watching the three others over UDP
// with the run's probe key (src/lab/memberProbers.ts; `npm run build` first). The link between node1 and node2 is
// cut (nftables in node1's namespace drops both directions) while node3 and node4 still reach both: each suspects
// the other but never declares it dead, because the indirect probes answer. Then node2's process is killed: every
// watcher, node1 included, declares it dead.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLab, labUnavailableReason, type Lab } from "../../src/lab/lab.js";
import { LabMemberProbers } from "../../src/lab/memberProbers.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole } from "../../src/lab/topology.js";

const NODES = [1, 2, 3, 4];
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("membership probes in the lab", () => {
  let lab: Lab;
  let p: LabMemberProbers;
  const kinds = (k: number): string[][] => p.verdicts(k).map((v) => [v.kind ?? "", v.target ?? ""]);

  beforeAll(async () => {
    lab = await createLab({ nodes: NODES.length });
    p = await LabMemberProbers.start(lab, NODES);
    await sleep(1_000);
  }, 60_000);

  afterAll(async () => {
    await p?.stop();
    await lab?.destroy();
  });

  const deaths = (): string[][] => NODES.flatMap(kinds).filter(([kind]) => kind === "NodeDeclaredDead");
  /** Verdicts about `target`: a loaded machine may also make a watcher suspect a live node now and then (never dead). */
  const about = (k: number, target: string): string[][] => kinds(k).filter(([, t]) => t === target);

  it("all answer: nobody is declared dead, every watcher gets acks from the three others", () => {
    expect(deaths()).toEqual([]);
    for (const k of NODES) expect(p.counters(k)?.["acksReceived"]).toBeGreaterThan(3 * 10);
  });

  it("node1 cut off from node2 only: each suspects the other, the relays reach both, nobody declares anyone dead", async () => {
    const rules = `table inet vipmesh_member_cut {
  chain out { type filter hook output priority 0; ip daddr ${lab.nodeIp(2)} drop; }
  chain in { type filter hook input priority 0; ip saddr ${lab.nodeIp(2)} drop; }
}
`;
    await lab.exec(nodeRole(1), ["nft", "-f", "-"], { input: rules });
    await sleep(3_000);
    expect(about(1, "node2")).toEqual([["NodeSuspected", "node2"]]);
    // The cut is both ways: node2 (which watches node1) suspects node1 the same way, and declares it dead no more.
    expect(about(2, "node1")).toEqual([["NodeSuspected", "node1"]]);
    expect(deaths()).toEqual([]);
    // node1 kept asking node3 and node4, which kept reaching node2 for it.
    expect(p.counters(1)?.["indirectAnswers"]).toBeGreaterThan(10);
    expect(Number(p.counters(3)?.["relayed"]) + Number(p.counters(4)?.["relayed"])).toBeGreaterThan(10);
  }, 30_000);

  it("node2 killed: every watcher declares it dead, node1 too (the relays now find no reply)", async () => {
    p.kill(2);
    for (const k of [1, 3, 4]) await waitFor(`node${k}'s death verdict`, () => p.verdicts(k).find((v) => v.kind === "NodeDeclaredDead"), 10_000);
    for (const k of [1, 3, 4]) expect(p.verdicts(k).filter((v) => v.kind === "NodeDeclaredDead").map((v) => v.target)).toEqual(["node2"]);
    expect(deaths()).toHaveLength(3);
    const fromNode1 = p.verdicts(1).find((v) => v.kind === "NodeDeclaredDead");
    expect(fromNode1?.evidence?.indirect.map((i) => i.replied)).toEqual([false, false]);
    const drops = [1, 3, 4].flatMap((k) => Object.entries((p.counters(k)?.["dropped"] ?? {}) as Record<string, number>).filter(([, n]) => n > 0));
    expect(drops).toEqual([]);
  }, 30_000);
});
