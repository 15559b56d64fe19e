// `vipmesh status` over a BGP lab (real nats-server, allocator and speakers from the compiled CLI, the lab's FRR
// router with bgpd and bfdd, every BGPPeer naming a BFDProfile): each node's session Established with BFD Up, exit 0;
// the router's bgpd killed: every session down, exit 1 with bgp-session-down per node. Both backends.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BgpCluster } from "../../src/lab/bgpCluster.js";
import { frrModeArgs } from "../../src/lab/frrMode.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole } from "../../src/lab/topology.js";
import { auditThenDestroy } from "../support/labAudit.js";
import { labStatus, problemsOf, type StatusRun } from "../support/labStatus.js";

const VIP = "198.18.100.10";
const PROFILE = "{ receiveInterval: 200, transmitInterval: 250, detectMultiplier: 4 }";
const NODES = [1, 2];
const unavailable = labUnavailableReason();
const BACKENDS = [{ backend: "native", args: [] }, { backend: "frr", args: frrModeArgs() }] as const;

describe.skipIf(unavailable !== undefined).each(BACKENDS)("vipmesh status over BGP with BFD ($backend backend)", ({ backend, args }) => {
  let c: BgpCluster;
  const statusUntil = (what: string, ok: (r: StatusRun) => boolean, timeoutMs: number): Promise<StatusRun> =>
    waitFor(what, async () => {
      const r = await labStatus(c);
      return ok(r) ? r : undefined;
    }, timeoutMs, 500);
  const sessions = (r: StatusRun) => r.status.bgp.flatMap((b) => b.sessions.map((s) => ({ node: b.node, backend: b.backend, ...s })));

  beforeAll(async () => {
    c = await BgpCluster.start({
      nodes: NODES.length, vips: [VIP], log: pino({ level: "warn" }), holdTimeS: 30,
      bfd: { profile: PROFILE, router: { receiveMs: 300, transmitMs: 300, detectMultiplier: 3 } }, speakerArgs: [...args],
    });
  }, 120_000);

  afterAll(async () => {
    await auditThenDestroy(c, () => c.destroy());
  });

  // Each node peers with the router over IPv4 ("router", BFD) and IPv6 ("router6").
  const v4 = (r: StatusRun) => sessions(r).filter((s) => s.peer === "router");

  it("every node's session Established with BFD Up, exit 0", async () => {
    const up = await statusUntil("every IPv4 session Established with BFD Up", (r) => {
      const s = v4(r);
      return s.length === NODES.length && s.every((x) => x.state === "established" && x.bfd?.status === "Up");
    }, 60_000);
    expect(v4(up).map((s) => [s.node, s.backend, s.address, s.state, s.bfd?.profile, s.bfd?.status])).toEqual(
      NODES.map((k) => [nodeRole(k), backend, "198.18.0.1", "established", "lab", "Up"]),
    );
    const clean = await statusUntil("exit 0", (r) => r.code === 0, 30_000);
    expect(clean.status.problems).toEqual([]);
    expect(clean.status.vips.map((v) => [v.vip, v.l2])).toEqual([[VIP, false]]);
  }, 120_000);

  it("the router's bgpd killed: every session down, exit 1 with bgp-session-down per node", async () => {
    await c.router.signalDaemon("bgpd", "SIGKILL");
    const down = await statusUntil("every session down", (r) => {
      const s = sessions(r);
      return s.length === 2 * NODES.length && s.every((x) => x.state !== "established");
    }, 60_000);
    expect(down.code).toBe(1);
    expect(problemsOf(down.status).filter((p) => p.startsWith("bgp-session-down")).sort()).toEqual(NODES.flatMap((k) => [`bgp-session-down ${nodeRole(k)}/router`, `bgp-session-down ${nodeRole(k)}/router6`]));
  }, 120_000);
});
