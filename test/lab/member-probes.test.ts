// Lab: membership probers in four network namespaces on the lab switch, each watching the three others over UDP
// with the run's probe key (scripts/lab/member-prober.mjs runs the compiled adapter: `npm run build` first). The link
// between node1 and node2 is cut (nftables in node1's namespace drops both directions) while node3 and node4 still
// reach both: each suspects the other but never declares it dead, because the indirect probes answer. Then node2's
// process is killed: every watcher, node1 included, declares it dead.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLab, labUnavailableReason, type Lab } from "../../src/lab/lab.js";
import { labScript } from "../../src/lab/paths.js";
import { labProbeKeyArgs } from "../../src/lab/probeKey.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole } from "../../src/lab/topology.js";
import type { ProcHandle } from "../../src/lab/types.js";

const PORT = 7946;
const NODES = [1, 2, 3, 4];
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Event = { event: string; kind?: string; target?: string; evidence?: { indirect: { via: string; replied: boolean }[] }; [k: string]: unknown };

describe.skipIf(unavailable !== undefined)("membership probes in the lab", () => {
  let lab: Lab;
  const events = new Map<number, Event[]>();
  const procs = new Map<number, ProcHandle>();
  const verdicts = (k: number): Event[] => (events.get(k) ?? []).filter((e) => e.event === "verdict");
  const counters = (k: number): Event | undefined => (events.get(k) ?? []).filter((e) => e.event === "counters").at(-1);

  beforeAll(async () => {
    lab = await createLab({ nodes: NODES.length });
    const keyFile = labProbeKeyArgs(lab.runDir)[1] ?? "";
    for (const k of NODES) {
      events.set(k, []);
      const targets = NODES.filter((j) => j !== k).map((j) => ({ node: `node${j}`, address: lab.nodeIp(j), incarnation: 1_000 + j }));
      procs.set(k, lab.spawn(nodeRole(k), [process.execPath, labScript("member-prober.mjs"), `node${k}`, String(1_000 + k), String(PORT), keyFile, JSON.stringify(targets)], {
        name: `member-prober-${k}`,
        onLine: (line) => events.get(k)?.push(JSON.parse(line) as Event),
      }));
    }
    for (const k of NODES) await waitFor(`node${k}'s prober`, () => ((events.get(k) ?? []).some((e) => e.event === "ready") ? true : undefined));
    for (const k of NODES) procs.get(k)?.kill("SIGUSR1");
    await sleep(1_000);
  }, 60_000);

  afterAll(async () => {
    await lab?.destroy();
  });

  it("all answer: nobody is judged, every watcher gets acks from the three others", () => {
    expect(NODES.flatMap(verdicts)).toEqual([]);
    for (const k of NODES) expect(counters(k)?.["acksReceived"]).toBeGreaterThan(3 * 10);
  });

  it("node1 cut off from node2 only: each suspects the other, the relays reach both, nobody declares anyone dead", async () => {
    const rules = `table inet vipmesh_member_cut {
  chain out { type filter hook output priority 0; ip daddr ${lab.nodeIp(2)} drop; }
  chain in { type filter hook input priority 0; ip saddr ${lab.nodeIp(2)} drop; }
}
`;
    await lab.exec(nodeRole(1), ["nft", "-f", "-"], { input: rules });
    await sleep(3_000);
    expect(verdicts(1).map((v) => [v.kind, v.target])).toEqual([["NodeSuspected", "node2"]]);
    expect(NODES.flatMap(verdicts).filter((v) => v.kind === "NodeDeclaredDead")).toEqual([]);
    // node1 kept asking node3 and node4, which kept reaching node2 for it.
    expect(counters(1)?.["indirectAnswers"]).toBeGreaterThan(10);
    expect(Number(counters(3)?.["relayed"]) + Number(counters(4)?.["relayed"])).toBeGreaterThan(10);
    // The cut is both ways: node2 (which watches node1) suspects node1 the same way, and declares it dead no more.
    expect(verdicts(2).map((v) => [v.kind, v.target])).toEqual([["NodeSuspected", "node1"]]);
    expect([3, 4].flatMap(verdicts)).toEqual([]);
  }, 30_000);

  it("node2 killed: every watcher declares it dead, node1 too (the relays now find no reply)", async () => {
    procs.get(2)?.kill("SIGKILL");
    for (const k of [1, 3, 4]) await waitFor(`node${k}'s death verdict`, () => verdicts(k).find((v) => v.kind === "NodeDeclaredDead"), 10_000);
    for (const k of [1, 3, 4]) {
      const dead = verdicts(k).filter((v) => v.kind === "NodeDeclaredDead");
      expect(dead.map((v) => v.target)).toEqual(["node2"]);
    }
    const fromNode1 = verdicts(1).find((v) => v.kind === "NodeDeclaredDead");
    expect(fromNode1?.evidence?.indirect.map((i) => i.replied)).toEqual([false, false]);
    expect(NODES.filter((k) => k !== 2).flatMap((k) => Object.entries((counters(k)?.["dropped"] ?? {}) as Record<string, number>).filter(([, n]) => n > 0))).toEqual([]);
  }, 30_000);
});
