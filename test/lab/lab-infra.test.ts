// The lab itself: namespaces, switch, NATS, backends + DNAT, prober, ARP capture, teardown and the stale sweep.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import {
  createLab,
  findConflicts,
  labUnavailableReason,
  listNamespaces,
  pidAlive,
  sweepStaleNamespaces,
} from "../../src/lab/index.js";
import type { Lab, NeighborAnswer } from "../../src/lab/index.js";

const reason = labUnavailableReason();
if (reason) console.warn(`[lab-infra] skipping lab tests: ${reason}`);

describe("conflict finder (pure)", () => {
  const a = (t: number, mac: string): NeighborAnswer => ({ t, ip: "198.18.0.200", mac, kind: "gratuitous" });
  it("reports two MACs answering within the window, merged, and nothing for a clean handover", () => {
    const byIp = new Map([["198.18.0.200", [a(0, "m1"), a(100, "m2"), a(150, "m1"), a(5000, "m1"), a(9000, "m2")]]]);
    expect(findConflicts(byIp, 500)).toEqual([{ ip: "198.18.0.200", from: 0, to: 150, macs: ["m1", "m2"] }]);
    expect(findConflicts(new Map([["198.18.0.200", [a(0, "m1"), a(3000, "m2")]]]), 500)).toEqual([]);
  });
});

describe.skipIf(reason !== undefined)("lab infrastructure (root)", () => {
  let lab: Lab | undefined;
  afterAll(async () => {
    await lab?.destroy();
  });

  it("builds a 2-node lab with NATS, backends, DNAT, prober and ARP capture, and tears it all down", async () => {
    lab = await createLab({ nodes: 2 });
    const prefix = lab.prefix;
    expect(prefix).toMatch(new RegExp(`^vml${process.pid}-[0-9a-z]{4}-$`));
    const names = await listNamespaces();
    for (const role of ["sw", "nats", "client", "node1", "node2"] as const) expect(names).toContain(lab.ns(role));

    // Switch: br0 without multicast snooping, 300 s ageing.
    const br = (await lab.exec("sw", ["ip", "-d", "-j", "link", "show", "br0"])).stdout;
    const info = (JSON.parse(br) as Array<{ linkinfo: { info_data: Record<string, unknown> } }>)[0]?.linkinfo.info_data;
    expect(info?.["mcast_snooping"]).toBe(0);
    expect(info?.["ageing_time"]).toBe(30_000);

    // NATS in `nats`, reachable from node1 across the switch.
    const url = await lab.startNats();
    expect(url).toBe("nats://198.18.0.2:4222");
    expect(await lab.tcpCheck("node1", "198.18.0.2", 4222)).toBe(true);
    expect(await lab.tcpCheck("node1", "198.18.0.2", 4223, 500)).toBe(false);

    const capture = await lab.startCapture();

    // Backends on every node, DNAT for the VIP on node1, and (test only) a static neighbor entry on the client.
    await lab.startBackends();
    const vip = "198.18.0.200";
    await lab.exposeVip(1, vip);
    await lab.exposeVip(1, vip); // idempotent
    const rules = (await lab.exec("node1", ["nft", "list", "ruleset"])).stdout;
    expect(rules.match(/dnat ip to 198\.18\.0\.11:8080/g)).toHaveLength(1);
    await lab.exec("client", ["ip", "neigh", "replace", vip, "lladdr", lab.nodeMac(1), "dev", "eth0", "nud", "permanent"]);

    const prober = lab.startProber({ url: `http://${vip}/`, intervalMs: 50, timeoutMs: 500 });
    const first = await prober.waitForSuccess({ node: "node1", after: 0 });
    const t0 = first.t;
    await prober.waitForSuccess({ after: t0 + 400 });
    await prober.stop();
    expect(prober.servedBy(t0)).toEqual({ node1: expect.any(Number) });
    expect(prober.servedBy(t0)["node1"]).toBeGreaterThanOrEqual(5);
    expect(prober.failuresBetween(t0)).toBe(0);
    expect(prober.firstSuccessAfter(t0)?.node).toBe("node1");

    // A pulled cable cuts node1 off the switch; plugging it back restores it.
    await lab.setLink("node1", false);
    expect(await lab.tcpCheck("client", lab.nodeIp(1), 8080, 500)).toBe(false);
    await lab.setLink("node1", true);
    expect(await lab.tcpCheck("client", lab.nodeIp(1), 8080)).toBe(true);

    // IPv6 works at once (DAD off): the backend answers on node2's IPv6 address.
    expect(await lab.tcpCheck("client", lab.nodeIp6(2), 8080)).toBe(true);

    // ARP between client and node2, seen on the switch.
    await lab.exec("client", ["arping", "-c", "2", "-w", "1", "-i", "eth0", lab.nodeIp(2)]);
    // Two nodes claiming the same unconfigured address by gratuitous ARP: the conflict finder must see it.
    const claim = "198.18.0.201";
    for (const k of [1, 2] as const) {
      await lab.exec(`node${k}`, ["arping", "-U", "-c", "1", "-i", "eth0", "-S", claim, claim], { allowFail: true });
    }
    // IPv6 neighbor discovery is captured too (as "na" answers).
    await lab.exec("client", ["ndisc6", "-1", "-r", "2", lab.nodeIp6(2), "eth0"]);
    await capture.stop();
    const answers = lab.arpAnswersByVip();
    const packets = capture.packets();
    expect(packets.some((p) => p.kind === "arp-request" && p.senderMac === lab?.mac("client") && p.targetIp === lab.nodeIp(2))).toBe(true);
    const node2Answers = answers.get(lab.nodeIp(2)) ?? [];
    expect(node2Answers.length).toBeGreaterThan(0);
    expect(node2Answers.every((a) => a.mac === lab?.nodeMac(2) && a.kind === "reply")).toBe(true);
    expect(answers.get(claim)?.map((a) => a.mac)).toEqual([lab.nodeMac(1), lab.nodeMac(2)]);
    const v6Answers = answers.get(lab.nodeIp6(2)) ?? [];
    expect(v6Answers.length).toBeGreaterThan(0);
    expect(v6Answers.every((a) => a.kind === "na" && a.mac === lab?.nodeMac(2))).toBe(true);
    const conflicts = capture.conflicts(5000, [claim, vip]);
    expect(conflicts).toHaveLength(1);
    expect(conflicts[0]?.macs.sort()).toEqual([lab.nodeMac(1), lab.nodeMac(2)].sort());

    // Teardown: idempotent, nothing of this run left.
    const runDir = lab.runDir;
    await Promise.all([lab.destroy(), lab.destroy()]);
    await lab.destroy();
    expect((await listNamespaces()).filter((n) => n.startsWith(prefix))).toEqual([]);
    expect(existsSync(runDir)).toBe(false);
    expect(lab.processes).toEqual([]);
  });

  it("the stale sweep removes namespaces of dead creators and keeps those of live ones", async () => {
    const dead = spawnSync("true").pid;
    expect(dead).toBeTypeOf("number");
    expect(pidAlive(dead ?? 0)).toBe(false);
    const staleNs = `vml${dead}-zz9z-sw`;
    const liveNs = `vml${process.pid}-zz8z-sw`;
    spawnSync("ip", ["netns", "add", staleNs]);
    spawnSync("ip", ["netns", "add", liveNs]);
    try {
      expect(await listNamespaces()).toEqual(expect.arrayContaining([staleNs, liveNs]));
      const removed = await sweepStaleNamespaces();
      expect(removed).toContain(staleNs);
      const after = await listNamespaces();
      expect(after).not.toContain(staleNs);
      expect(after).toContain(liveNs);
    } finally {
      spawnSync("ip", ["netns", "del", staleNs]);
      spawnSync("ip", ["netns", "del", liveNs]);
    }
  });
});
