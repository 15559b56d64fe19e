// Lab: real ARP on a veth pair between two network namespaces (ip netns), answered by the AF_PACKET transport.
// Needs root (CAP_NET_ADMIN, CAP_NET_RAW), iproute2, arping (Thomas Habets' 2.x: `-i` names the interface),
// tcpdump and gcc. No prior `npm run build` is needed: the fixture builds the addon (a no-op when fresh) and compiles
// src/adapters/arp with tsc into a temp dir, because the responder runs as a plain-node child in namespace A
// (Node 20 cannot run TypeScript). Namespaces are named vmt<pid>-<rand>a/b, deleted in afterAll
// (or on setup failure), and swept by the next run if a killed run left them behind.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ResponderChild, createLab, destroyLab, inNs, inject } from "./arpLab.js";
import type { Lab } from "./arpLab.js";

const VIP = "198.18.0.200";
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("skipping ARP lab test: it needs root to create network namespaces and packet sockets");

const hexMac = (mac: string): string => mac.replaceAll(":", "");
const PEER_FAKE_MAC = "02:00:00:00:00:99";

/** An ARP request for `VIP` from the fake peer MAC, with one field overwritten to make it malformed. */
function requestHex(patch: { at: number; hex: string } | undefined = undefined): string {
  const f = `ffffffffffff${hexMac(PEER_FAKE_MAC)}08060001080006040001${hexMac(PEER_FAKE_MAC)}c6120002000000000000c61200c8`;
  return patch === undefined ? f : f.slice(0, patch.at * 2) + patch.hex + f.slice(patch.at * 2 + patch.hex.length);
}

async function neighborMac(lab: Lab, ip: string): Promise<string | undefined> {
  const r = await inNs(lab.nsB, "ip", ["neigh", "show", ip, "dev", lab.ifB]);
  return /lladdr ([0-9a-f:]{17})/.exec(r.out)?.[1];
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!isRoot)("ARP transport on a real veth link (lab)", () => {
  let lab: Lab | undefined;
  let child: ResponderChild | undefined;
  let mac = "";

  beforeAll(async () => {
    lab = await createLab();
    child = new ResponderChild(lab, lab.ifA, VIP);
    mac = String((await child.next("ready")).mac);
  });

  afterAll(async () => {
    child?.kill();
    if (lab !== undefined) await destroyLab(lab);
  });

  it("answers arping for a VIP configured on no interface, from the responder's MAC", async () => {
    const { ifB, nsB } = lab!;
    expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
    const r = await inNs(nsB, "arping", ["-c", "3", "-W", "0.2", "-w", "5", "-i", ifB, VIP]);
    expect(r.code, r.out).toBe(0);
    const replies = r.out.split("\n").filter((l) => l.includes(`from ${mac} (${VIP})`));
    expect(replies, r.out).toHaveLength(3);
    child!.send({ cmd: "stats" });
    const { stats } = await child!.next("stats");
    expect(stats).toMatchObject({ replies: 3, conflicts: 0 });
  });

  it("lets the peer kernel resolve the VIP to the responder's MAC", async () => {
    const { nsB, ifB } = lab!;
    await inNs(nsB, "ip", ["neigh", "flush", "dev", ifB]);
    expect(await neighborMac(lab!, VIP)).toBeUndefined();
    const udp = `require("dgram").createSocket("udp4").send("x", 9, "${VIP}", () => setTimeout(() => process.exit(0), 300))`;
    await inNs(nsB, process.execPath, ["-e", udp]);
    expect(await until(() => neighborMac(lab!, VIP), 3000)).toBe(mac);
  });

  it("sends gratuitous ARP that tcpdump sees and the peer kernel learns", async () => {
    const { nsB, ifB } = lab!;
    await inNs(nsB, "sysctl", ["-w", `net.ipv4.conf.${ifB}.arp_accept=1`]);
    await inNs(nsB, "ip", ["neigh", "flush", "dev", ifB]);
    const tcpdump = spawn("ip", ["netns", "exec", nsB, "tcpdump", "-i", ifB, "-t", "-n", "-e", "-l", "-c", "4", "arp src host", VIP]);
    let out = "";
    tcpdump.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const exited = new Promise<void>((resolve) => tcpdump.once("exit", () => resolve()));
    try {
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error("tcpdump did not start")), 10_000);
        tcpdump.stderr.on("data", (d: Buffer) => d.toString().includes("listening on") && (clearTimeout(t), resolve()));
      });
      child!.send({ cmd: "garp", count: 2 });
      expect((await child!.next("garp")).sent).toBe(4);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    } finally {
      if (tcpdump.exitCode === null) tcpdump.kill("SIGKILL");
    }
    const lines = out.trim().split("\n");
    expect(lines, out).toHaveLength(4);
    expect(lines.filter((l) => l.startsWith(`${mac} > ff:ff:ff:ff:ff:ff`) && l.includes(`Request who-has ${VIP} tell ${VIP}`)), out).toHaveLength(2);
    expect(lines.filter((l) => l.startsWith(`${mac} > ff:ff:ff:ff:ff:ff`) && l.includes(`Reply ${VIP} is-at ${mac}`)), out).toHaveLength(2);
    expect(await until(() => neighborMac(lab!, VIP), 3000)).toBe(mac);
  });

  it("counts malformed ARP frames by DecodeError code, drops them, and keeps answering", async () => {
    const { nsB, ifB } = lab!;
    await inject(lab!, nsB, ifB, [
      requestHex({ at: 14, hex: "0006" }), // IEEE 802 hardware type
      requestHex({ at: 16, hex: "86dd" }), // IPv6 protocol type
      requestHex({ at: 18, hex: "08" }), // hardware address length 8
      requestHex({ at: 18, hex: "08" }),
      requestHex({ at: 20, hex: "0003" }), // RARP opcode: dropped by the in-kernel filter, never counted
      requestHex().slice(0, 40), // 20 bytes: too short for the kernel filter's opcode load, dropped there
    ]);
    const r = await inNs(nsB, "arping", ["-c", "1", "-w", "5", "-i", ifB, VIP]);
    expect(r.code, r.out).toBe(0);
    child!.send({ cmd: "stats" });
    const { counters } = await child!.next("stats");
    expect(counters).toMatchObject({
      malformed: { ARP_BAD_HTYPE: 1, ARP_BAD_PTYPE: 1, ARP_BAD_HLEN: 2 },
      sendErrors: 0,
      receiveErrors: 0,
    });
    expect(Object.keys((counters as { malformed: object }).malformed)).toHaveLength(3);
  });

  it("reports another MAC announcing our VIP as a conflict", async () => {
    const { nsB, ifB } = lab!;
    const garp = `ffffffffffff${hexMac(PEER_FAKE_MAC)}08060001080006040002${hexMac(PEER_FAKE_MAC)}c61200c8${hexMac(PEER_FAKE_MAC)}c61200c8`;
    await inject(lab!, nsB, ifB, [garp]);
    expect(await child!.next("conflict")).toMatchObject({ vip: VIP, claimantMac: PEER_FAKE_MAC, op: "reply", gratuitous: true });
  });

  it("keeps answering after its interface flaps, counting the ENETDOWN it is told about", async () => {
    const { nsA, ifA, nsB, ifB } = lab!;
    await inNs(nsA, "ip", ["link", "set", ifA, "down"]);
    await inNs(nsA, "ip", ["link", "set", ifA, "up"]);
    const r = await until(async () => {
      const a = await inNs(nsB, "arping", ["-c", "1", "-w", "1", "-i", ifB, VIP]);
      return a.code === 0 ? a : undefined;
    }, 10_000);
    expect(r?.out).toContain(`from ${mac} (${VIP})`);
    child!.send({ cmd: "stats" });
    const { counters } = await child!.next("stats");
    expect((counters as { receiveErrors: number }).receiveErrors).toBeGreaterThanOrEqual(1);
  });

  it("closes idempotently and releases the event loop so the child exits by itself", async () => {
    child!.send({ cmd: "close" });
    expect(await child!.next("closed")).toMatchObject({ closed: true });
    const code = await Promise.race([child!.exited, new Promise((r) => setTimeout(() => r("timeout"), 5000))]);
    expect(code).toBe(0);
  });
});
