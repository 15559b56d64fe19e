// The multihop receive TTL floor per session (BFDProfile.minimumTtl, RFC 5883 5) against a real FRR bfdd: the lab's
// BFD router runs a multihop session to node1 whose packets leave its namespace with TTL 253, as from a router two
// hops away (nftables in the router's namespace sets it; FRR itself sends 255). node1's side is
// dist/lab/bfdPeerProcess.js (`npm run build` first), the speaker's BFD code: with MetalLB's default floor 254 it never
// hears FRR (the kernel filter drops the packets) and the session stays down at both ends; with a profile of
// minimumTtl 253 it comes Up.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BFD_ROUTER_V4, LabBfdRouter } from "../../src/lab/bfdRouter.js";
import { createLab, labUnavailableReason, type Lab } from "../../src/lab/lab.js";
import { run, waitFor } from "../../src/lab/run.js";
import type { ProcHandle } from "../../src/lab/types.js";

const DRIVER = fileURLToPath(new URL("../../dist/lab/bfdPeerProcess.js", import.meta.url));
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Line = { event: string; to?: string };

describe.skipIf(unavailable !== undefined)("native multihop BFD against FRR bfdd two hops away (TTL 253)", () => {
  let lab: Lab;
  let router: LabBfdRouter;
  let node: string;

  const spawn = (minTtl: number, into: Line[]): ProcHandle =>
    lab.spawn("node1", [process.execPath, DRIVER, "--peer", BFD_ROUTER_V4, "--local", node, "--multihop", "--tx", "300", "--rx", "300", "--mult", "3", "--min-ttl", String(minTtl)], {
      name: `bfd-multihop-ttl${minTtl}`,
      onLine: (l) => into.push(JSON.parse(l) as Line),
    });
  const frrStatus = async (): Promise<string | undefined> => (await router.peersByAddress()).get(`${node} multihop`)?.status;

  beforeAll(async () => {
    lab = await createLab({ nodes: 1 });
    node = lab.nodeIp(1);
    router = new LabBfdRouter(lab, [{ address: node, multihop: true, receiveMs: 300, transmitMs: 300, detectMultiplier: 3 }]);
    await router.start();
    const nft = (...args: string[]): Promise<unknown> => run(["ip", "netns", "exec", router.ns, "nft", ...args]);
    await nft("add", "table", "ip", "vipmesh_lab");
    await nft("add", "chain", "ip", "vipmesh_lab", "out", "{ type filter hook output priority 0 ; }");
    await nft("add", "rule", "ip", "vipmesh_lab", "out", "udp", "dport", "4784", "ip", "ttl", "set", "253");
  });

  afterAll(async () => {
    await router?.stop();
    await lab?.destroy();
  });

  it("with the default floor (254) node1 never hears FRR: the session stays down at both ends", async () => {
    const lines: Line[] = [];
    const p = spawn(254, lines);
    try {
      await waitFor("node1 started", () => (lines.some((l) => l.event === "started") ? true : undefined), 10_000, 50);
      await sleep(5_000);
      // Init would mean a packet of FRR's got through (the start is AdminDown -> Down).
      expect(lines.filter((l) => l.event === "state" && l.to !== "down").map((l) => l.to)).toEqual([]);
      expect(await frrStatus()).not.toBe("up");
    } finally {
      p.kill("SIGKILL");
      await p.exited;
    }
  }, 30_000);

  it("a profile with minimumTtl 253 accepts the same packets: Up at both ends", async () => {
    const lines: Line[] = [];
    const p = spawn(253, lines);
    try {
      await waitFor("node1 Up", () => (lines.some((l) => l.event === "state" && l.to === "up") ? true : undefined), 20_000, 50);
      await waitFor("FRR Up", async () => ((await frrStatus()) === "up" ? true : undefined), 20_000, 200);
    } finally {
      p.kill("SIGKILL");
      await p.exited;
    }
  }, 60_000);
});
