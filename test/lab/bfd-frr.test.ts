// Native BFD against a real FRR bfdd (Debian frr) in the lab: node1 runs the UDP adapter and the pure FSM as a
// process of its own (dist/lab/bfdPeerProcess.js; `npm run build` first), the lab's BFD router runs zebra + bfdd with
// a single-hop peer for node1. The session comes up with the configured timers as FRR reports them; FRR declares it
// down (detection time expired) when node1 stops sending; node1 sees FRR's AdminDown (diag 3) and a frozen bfdd
// (diag 1); a change of node1's intervals is carried by a Poll Sequence without the session going down. Beside it, a
// multihop session (RFC 5883, port 4784) and an IPv6 session where node1 is passive (FRR starts it) come Up too.
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LabBfdRouter, BFD_ROUTER_V4, BFD_ROUTER_V6, type FrrBfdPeer } from "../../src/lab/bfdRouter.js";
import { createLab, labUnavailableReason, type Lab } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import type { ProcHandle } from "../../src/lab/types.js";

const DRIVER = fileURLToPath(new URL("../../dist/lab/bfdPeerProcess.js", import.meta.url));
const unavailable = labUnavailableReason();

type Line = {
  t: number; event: string; from?: string; to?: string; diag?: number; discriminator?: number; echo?: { run: boolean; reason: string };
  inEffect?: { desiredMinTxUs: number; requiredMinRxUs: number };
};
const TIMERS = ["--tx", "300", "--rx", "300", "--mult", "3"];

describe.skipIf(unavailable !== undefined)("native BFD against FRR bfdd (single hop)", () => {
  let lab: Lab;
  let router: LabBfdRouter;
  let driver: ProcHandle;
  const lines: Line[] = [];
  const multihopLines: Line[] = [];
  const passiveV6Lines: Line[] = [];
  let node: string;
  let node6: string;

  const frrPeer = async (key = node): Promise<FrrBfdPeer | undefined> => (await router.peersByAddress()).get(key);
  const frrStatus = async (want: string, key = node): Promise<FrrBfdPeer | undefined> => {
    const p = await frrPeer(key);
    return p?.status === want ? p : undefined;
  };
  const spawnPeer = (name: string, args: readonly string[], into: Line[]): ProcHandle =>
    lab.spawn("node1", [process.execPath, DRIVER, ...args, ...TIMERS], { name, onLine: (l) => into.push(JSON.parse(l) as Line) });
  const stateLine = (to: string, after: number): Line | undefined => lines.find((l) => l.event === "state" && l.to === to && l.t >= after);

  beforeAll(async () => {
    lab = await createLab({ nodes: 1 });
    node = lab.nodeIp(1);
    node6 = lab.nodeIp6(1);
    const timers = { receiveMs: 300, transmitMs: 300, detectMultiplier: 3 };
    router = new LabBfdRouter(lab, [{ address: node, ...timers }, { address: node, multihop: true, ...timers }, { address: node6, ...timers }]);
    await router.start();
    driver = spawnPeer("bfd-peer", ["--peer", BFD_ROUTER_V4, "--local", node, "--echo", "--then-tx", "100", "--then-rx", "100"], lines);
    spawnPeer("bfd-multihop", ["--peer", BFD_ROUTER_V4, "--local", node, "--multihop", "--echo"], multihopLines);
    spawnPeer("bfd-passive-v6", ["--peer", BFD_ROUTER_V6, "--local", node6, "--passive"], passiveV6Lines);
  });

  afterAll(async () => {
    await router?.stop();
    await lab?.destroy();
  });

  it("comes Up with the configured timers (FRR's view), our discriminator as FRR's remote id", async () => {
    const up = await waitFor("FRR: session up at 300 ms both ways", async () => {
      const p = await frrStatus("up");
      return p !== undefined && p["remote-transmit-interval"] === 300 && p["transmit-interval"] === 300 ? p : undefined;
    }, 20_000);
    expect(up).toMatchObject({ "receive-interval": 300, "detect-multiplier": 3, "remote-receive-interval": 300, "remote-detect-multiplier": 3 });
    expect(up["remote-id"]).toBe(lines.find((l) => l.event === "started")?.discriminator);
    expect(stateLine("up", 0)).toBeDefined();
  });

  it("a profile with echo mode: no echo function, said so, and FRR is told we take no echo packets", async () => {
    expect(lines.find((l) => l.event === "started")?.echo).toMatchObject({ run: false, reason: "notSupported" });
    expect(multihopLines.find((l) => l.event === "started")?.echo).toMatchObject({ run: false, reason: "multihop" });
    expect((await frrPeer())?.["remote-echo-receive-interval"]).toBe(0);
  });

  it("FRR declares the session down (detection time expired) when node1 stops sending, and it comes back", async () => {
    const stoppedAt = Date.now();
    driver.kill("SIGSTOP");
    const down = await waitFor("FRR: session down", () => frrStatus("down"), 10_000, 20);
    const detectedMs = Date.now() - stoppedAt;
    console.log(`FRR saw node1 stop after ${detectedMs} ms (detection time 900 ms)`);
    expect(down.diagnostic).toBe("control detection time expired");
    const resumedAt = Date.now();
    driver.kill("SIGCONT");
    await waitFor("FRR: session up again", () => frrStatus("up"), 15_000);
    await waitFor("node1: Up again", () => stateLine("up", resumedAt), 15_000);
  });

  it("a change of node1's intervals goes through a Poll Sequence: FRR takes 100 ms, the session never goes down", async () => {
    const before = lines.length;
    driver.kill("SIGUSR1");
    const changed = await waitFor("FRR: remote intervals 100 ms", async () => {
      const p = await frrPeer();
      return p !== undefined && p["remote-transmit-interval"] === 100 && p["remote-receive-interval"] === 100 ? p : undefined;
    }, 10_000);
    expect(changed.status).toBe("up");
    const done = await waitFor("node1: poll done", () => lines.slice(before).find((l) => l.event === "pollDone"), 10_000);
    expect(done.inEffect).toEqual({ desiredMinTxUs: 100_000, requiredMinRxUs: 100_000 });
    expect(lines.slice(before).filter((l) => l.event === "state")).toEqual([]);
  });

  it("node1 sees FRR's AdminDown (peer shutdown): Down with diag 3; back Up after no shutdown", async () => {
    const at = Date.now();
    await router.peerCommands(node, ["shutdown"]);
    const down = await waitFor("node1: Down", () => stateLine("down", at), 10_000);
    expect(down.diag).toBe(3);
    await router.peerCommands(node, ["no shutdown"]);
    await waitFor("node1: Up again", () => stateLine("up", at), 15_000);
  });

  it("node1 detects a frozen bfdd: Down with diag 1", async () => {
    const at = Date.now();
    await router.signalBfdd("SIGSTOP");
    try {
      const down = await waitFor("node1: Down", () => stateLine("down", at), 10_000, 20);
      expect(down.diag).toBe(1);
    } finally {
      await router.signalBfdd("SIGCONT");
    }
    await waitFor("node1: Up again", () => stateLine("up", at), 15_000);
  });

  it("a multihop session (UDP 4784) comes Up with the configured timers", async () => {
    const up = await waitFor("FRR: multihop session up at 300 ms", async () => {
      const p = await frrStatus("up", `${node} multihop`);
      return p !== undefined && p["remote-transmit-interval"] === 300 ? p : undefined;
    }, 20_000);
    expect(up["remote-id"]).toBe(multihopLines.find((l) => l.event === "started")?.discriminator);
    expect(multihopLines.some((l) => l.event === "state" && l.to === "up")).toBe(true);
  });

  it("IPv6, node1 passive: FRR starts the session and it comes Up", async () => {
    const up = await waitFor("FRR: IPv6 session up", () => frrStatus("up", node6), 20_000);
    expect(up["remote-id"]).toBe(passiveV6Lines.find((l) => l.event === "started")?.discriminator);
    expect(passiveV6Lines.some((l) => l.event === "state" && l.to === "up")).toBe(true);
  });
});
