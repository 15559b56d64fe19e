// Native BFD against BIRD 2's BFD in the lab: node1 runs the UDP adapter and the pure FSM as its own process
// (dist/lab/bfdPeerProcess.js; `npm run build` first), the lab's BFD router runs BIRD with a single-hop `protocol bfd`
// neighbor for node1 (IPv4 and IPv6). Sessions come Up with the configured timers as BIRD reports them; BIRD declares
// node1 down when node1 stops sending; node1 detects a frozen BIRD and BIRD's BFD disabled (diag 1 both).
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BFD_ROUTER_V4, BFD_ROUTER_V6 } from "../../src/lab/bfdRouter.js";
import { LabBirdBfdRouter, type BirdBfdSession } from "../../src/lab/birdBfdRouter.js";
import { createLab, labUnavailableReason, type Lab } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import type { ProcHandle } from "../../src/lab/types.js";

const DRIVER = fileURLToPath(new URL("../../dist/lab/bfdPeerProcess.js", import.meta.url));
const unavailable = labUnavailableReason();

type Line = { t: number; event: string; to?: string; diag?: number };

describe.skipIf(unavailable !== undefined)("native BFD against BIRD 2 (single hop)", () => {
  let lab: Lab;
  let bird: LabBirdBfdRouter;
  let driver: ProcHandle;
  const lines: Line[] = [];
  const lines6: Line[] = [];
  let node: string;
  let node6: string;

  const birdState = async (address: string, want: string): Promise<BirdBfdSession | undefined> => {
    const s = (await bird.sessions()).get(address);
    return s?.state === want ? s : undefined;
  };
  const stateLine = (from: Line[], to: string, after: number): Line | undefined => from.find((l) => l.event === "state" && l.to === to && l.t >= after);

  beforeAll(async () => {
    lab = await createLab({ nodes: 1 });
    node = lab.nodeIp(1);
    node6 = lab.nodeIp6(1);
    bird = new LabBirdBfdRouter(lab, { neighbors: [node, node6], intervalMs: 300, multiplier: 3 });
    await bird.start();
    const timers = ["--tx", "300", "--rx", "300", "--mult", "3"];
    driver = lab.spawn("node1", [process.execPath, DRIVER, "--peer", BFD_ROUTER_V4, "--local", node, ...timers], { name: "bfd-peer", onLine: (l) => lines.push(JSON.parse(l) as Line) });
    lab.spawn("node1", [process.execPath, DRIVER, "--peer", BFD_ROUTER_V6, "--local", node6, ...timers], { name: "bfd-peer6", onLine: (l) => lines6.push(JSON.parse(l) as Line) });
  });

  afterAll(async () => {
    await bird?.stop();
    await lab?.destroy();
  });

  it("IPv4 and IPv6 sessions come Up at 300 ms x 3 (BIRD's interval and timeout)", async () => {
    for (const address of [node, node6]) {
      const up = await waitFor(`BIRD: ${address} Up at 300 ms`, async () => {
        const s = await birdState(address, "Up");
        return s !== undefined && s.intervalS === 0.3 ? s : undefined;
      }, 20_000);
      expect(up.timeoutS).toBeCloseTo(0.9, 6);
    }
    expect(stateLine(lines, "up", 0)).toBeDefined();
    expect(stateLine(lines6, "up", 0)).toBeDefined();
  });

  it("BIRD declares node1 down when node1 stops sending, and it comes back", async () => {
    driver.kill("SIGSTOP");
    try {
      await waitFor("BIRD: Down", () => birdState(node, "Down"), 10_000, 20);
    } finally {
      driver.kill("SIGCONT");
    }
    await waitFor("BIRD: Up again", () => birdState(node, "Up"), 15_000);
  });

  it("node1 detects a frozen BIRD: Down with diag 1, Up again when it resumes", async () => {
    const at = Date.now();
    await bird.signal("SIGSTOP");
    try {
      const down = await waitFor("node1: Down", () => stateLine(lines, "down", at), 10_000, 20);
      expect(down.diag).toBe(1);
    } finally {
      await bird.signal("SIGCONT");
    }
    await waitFor("node1: Up again", () => stateLine(lines, "up", at), 15_000);
  });

  it("BIRD's BFD disabled goes silent (no AdminDown): node1 Down with diag 1", async () => {
    const at = Date.now();
    await bird.birdc("disable", "bfd1");
    const down = await waitFor("node1: Down", () => stateLine(lines, "down", at), 10_000, 20);
    expect(down.diag).toBe(1);
    await bird.birdc("enable", "bfd1");
    await waitFor("node1: Up again", () => stateLine(lines, "up", at), 15_000);
  });
});
