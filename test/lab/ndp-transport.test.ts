// Lab: real NDP on a veth pair between two network namespaces, answered by the NDP link (AF_PACKET socket with the
// in-kernel NDP filter, solicited-node group joined through raw-socket), plus the L2 announcer's periodic refresh.
// Needs root, iproute2, ndisc6, tcpdump and gcc. Like the ARP lab test it compiles the adapters into a temp dir and
// runs them as plain-node children in namespace A; namespaces vmn<pid>-<rand>a/b are deleted in afterAll (or on
// setup failure) and swept by the next run if a killed run left them behind. Addresses: 2001:db8::/32 only.
import { spawn } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { icmpv6Checksum } from "../../src/protocols/codec/checksum.js";
import { encode } from "../../src/protocols/ndp/codec.js";
import { neighborSolicitation, unsolicitedAdvertisement } from "../../src/protocols/ndp/messages.js";
import { ResponderChild, destroyLab, inNs, inject } from "./arpLab.js";
import type { Lab } from "./arpLab.js";
import { ADDR_B, createNdpLab } from "./ndpLab.js";

const VIP = "2001:db8:0:1::c8";
const VIP4 = "198.18.0.200";
const FAKE_MAC = "02:00:00:00:00:99";
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.warn("skipping NDP lab test: it needs root to create network namespaces and packet sockets");

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined || Date.now() > deadline) return value;
    await sleep(100);
  }
}

/** The peer's neighbour entry for `ip`: MAC and NUD state, e.g. { mac: "02:..", state: "REACHABLE" }. */
async function neighbor(lab: Lab, ip: string): Promise<{ mac: string | undefined; state: string } | undefined> {
  const r = await inNs(lab.nsB, "ip", ["-6", "neigh", "show", ip, "dev", lab.ifB]);
  const line = r.out.trim();
  if (line === "") return undefined;
  return { mac: /lladdr ([0-9a-f:]{17})/.exec(line)?.[1], state: line.split(" ").at(-1) ?? "" };
}

/** Sends one UDP datagram from the peer to `ip` (which makes the peer kernel resolve or re-confirm it). */
async function poke(lab: Lab, ip: string): Promise<void> {
  const js = `require("dgram").createSocket("udp6").send("x", 9, "${ip}", () => setTimeout(() => process.exit(0), 100))`;
  await inNs(lab.nsB, process.execPath, ["-e", js]);
}

/** Starts tcpdump in the peer namespace; resolves once it listens. stop() waits for it (or kills it after 5 s). */
async function capture(lab: Lab, filter: string, count: number) {
  const proc = spawn("ip", ["netns", "exec", lab.nsB, "tcpdump", "-i", lab.ifB, "-n", "-e", "-l", "-vv", "-tt", "-c", String(count), filter]);
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("tcpdump did not start")), 10_000);
    proc.stderr.on("data", (d: Buffer) => d.toString().includes("listening on") && (clearTimeout(t), resolve()));
  });
  return {
    stop: async (waitMs = 5_000): Promise<string> => {
      await Promise.race([exited, sleep(waitMs)]);
      if (proc.exitCode === null) proc.kill("SIGKILL");
      return out;
    },
  };
}

/** Hex of a frame with bytes replaced and (unless told not to) the ICMPv6 checksum recomputed. */
function patched(frame: Uint8Array, edits: ReadonlyArray<[number, string]>, fixSum = true): string {
  const b = frame.slice();
  for (const [at, h] of edits) b.set(Buffer.from(h, "hex"), at);
  if (fixSum) {
    b[56] = 0;
    b[57] = 0;
    const sum = icmpv6Checksum(b.subarray(22, 38), b.subarray(38, 54), b, 54, b.length);
    b[56] = sum >> 8;
    b[57] = sum & 0xff;
  }
  return toHex(b);
}

let lab: Lab | undefined;

beforeAll(async () => {
  if (isRoot) lab = await createNdpLab();
});

afterAll(async () => {
  if (lab !== undefined) await destroyLab(lab);
});

describe.skipIf(!isRoot)("NDP on a real veth link (lab)", () => {
  let child: ResponderChild | undefined;
  let mac = "";
  const stats = async (): Promise<Record<string, unknown>> => {
    child!.send({ cmd: "stats" });
    return (await child!.next("stats")).stats as Record<string, unknown>;
  };

  beforeAll(async () => {
    child = new ResponderChild(lab!, lab!.ifA, VIP, "ndp-child.mjs");
    mac = String((await child.next("ready")).mac);
  });

  afterAll(() => child?.kill());

  it("joins the VIP's solicited-node multicast group on the interface", async () => {
    const r = await inNs(lab!.nsA, "ip", ["-6", "maddr", "show", "dev", lab!.ifA]);
    expect(r.out).toContain("ff02::1:ff00:c8");
    expect(await stats()).toMatchObject({ groups: 1, groupErrors: 0 });
  });

  it("ndisc6 from the peer resolves the VIP to the responder's MAC", async () => {
    const r = await inNs(lab!.nsB, "ndisc6", ["-1", "-n", "-r", "3", "-w", "1000", VIP, lab!.ifB]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain(`Target link-layer address: ${mac.toUpperCase()}`);
    expect(r.out).toContain(`from ${VIP}`);
  });

  it("lets the peer kernel resolve the VIP, and answers its unicast reachability probe", async () => {
    const { nsB, ifB } = lab!;
    await inNs(nsB, "ip", ["-6", "neigh", "flush", "dev", ifB]);
    await poke(lab!, VIP);
    expect(await until(async () => ((await neighbor(lab!, VIP))?.mac === mac ? true : undefined), 3_000)).toBe(true);
    // Make the entry STALE and use it: the kernel waits delay_first_probe_time, then sends a unicast NS to our MAC.
    await inNs(nsB, "sysctl", ["-q", "-w", `net.ipv6.neigh.${ifB}.delay_first_probe_time=1`]);
    const before = (await stats()).replies as number;
    await inNs(nsB, "ip", ["-6", "neigh", "replace", VIP, "lladdr", mac, "nud", "stale", "dev", ifB]);
    const tcpdump = await capture(lab!, `icmp6 and ip6[40] == 135 and ether dst ${mac}`, 1);
    await poke(lab!, VIP);
    const ns = await tcpdump.stop(6_000);
    expect(ns, "the peer kernel sent a unicast NS").toContain(`> ${VIP}: [icmp6 sum ok] ICMP6, neighbor solicitation`);
    expect(await until(async () => ((await neighbor(lab!, VIP))?.state === "REACHABLE" ? true : undefined), 3_000)).toBe(true);
    expect((await stats()).replies).toBeGreaterThan(before);
  });

  it("does not answer a duplicate address detection probe, so the peer's kernel keeps the address", async () => {
    const { nsB, ifB } = lab!;
    await inNs(nsB, "sysctl", ["-q", "-w", `net.ipv6.conf.${ifB}.accept_dad=1`, `net.ipv6.conf.${ifB}.dad_transmits=2`]);
    try {
      await inNs(nsB, "ip", ["-6", "addr", "add", `${VIP}/128`, "dev", ifB]);
      const probe = await child!.next("dad", 5_000);
      const peerMac = /link\/ether ([0-9a-f:]{17})/.exec((await inNs(nsB, "ip", ["link", "show", ifB])).out)?.[1];
      expect(probe).toMatchObject({ vip: VIP, fromMac: peerMac });
      const settled = await until(async () => {
        const r = await inNs(nsB, "ip", ["-6", "addr", "show", "dev", ifB, "to", `${VIP}/128`]);
        return r.out.includes(VIP) && !r.out.includes("tentative") ? r.out : undefined;
      }, 6_000);
      expect(settled, "the address left the tentative state").toBeDefined();
      expect(settled).not.toContain("dadfailed");
      expect(await stats()).toMatchObject({ dadProbes: 2 });
    } finally {
      await inNs(nsB, "ip", ["-6", "addr", "del", `${VIP}/128`, "dev", ifB]);
      await inNs(nsB, "sysctl", ["-q", "-w", `net.ipv6.conf.${ifB}.accept_dad=0`]);
    }
  });

  it("sends unsolicited advertisements with Override that tcpdump sees and the peer kernel applies", async () => {
    const { nsB, ifB } = lab!;
    await inNs(nsB, "ip", ["-6", "neigh", "replace", VIP, "lladdr", FAKE_MAC, "nud", "stale", "dev", ifB]);
    const tcpdump = await capture(lab!, "icmp6 and ip6[40] == 136", 2);
    child!.send({ cmd: "na", count: 2 });
    expect((await child!.next("na")).sent).toBe(2);
    const lines = (await tcpdump.stop()).split("\n").filter((l) => l.includes("neighbor advertisement"));
    expect(lines, lines.join("\n")).toHaveLength(2);
    for (const l of lines) {
      expect(l).toContain(`${mac} > 33:33:00:00:00:01`);
      expect(l).toContain("hlim 255");
      expect(l).toContain(`${VIP} > ff02::1: [icmp6 sum ok]`);
      expect(l).toContain(`tgt is ${VIP}, Flags [override]`);
    }
    expect((await neighbor(lab!, VIP))?.mac).toBe(mac);
  });

  it("reports another MAC advertising our VIP as a conflict", async () => {
    await inject(lab!, lab!.nsB, lab!.ifB, [toHex(encode(unsolicitedAdvertisement(VIP, FAKE_MAC)))]);
    expect(await child!.next("conflict")).toMatchObject({ vip: VIP, claimantMac: FAKE_MAC, detail: "NDP advertisement" });
    expect(await stats()).toMatchObject({ conflicts: 1 });
  });

  it("counts malformed frames by DecodeError code, never sees what the kernel filter drops, and keeps answering", async () => {
    const { nsB, ifB } = lab!;
    const ns = encode(neighborSolicitation({ mac: FAKE_MAC, ip: ADDR_B, target: VIP }));
    await inject(lab!, nsB, ifB, [
      patched(ns, [[21, "40"]], false), // hop limit 64: not covered by the checksum
      patched(ns, [[57, (ns[57]! ^ 0xff).toString(16).padStart(2, "0")]], false), // bad checksum
      patched(ns, [[79, "00"]]), // option length 0
      patched(ns, [[79, "00"]]),
      patched(ns, [[54, "80"]]), // echo request: dropped by the in-kernel filter, never counted
      patched(ns, [[20, "00"]], false), // hop-by-hop header: dropped by the filter
      toHex(ns.subarray(0, 54)), // too short for the filter's type load: dropped there
    ]);
    const r = await inNs(nsB, "ndisc6", ["-1", "-n", "-w", "1000", VIP, ifB]);
    expect(r.code, r.out).toBe(0);
    const s = await stats();
    expect(s.malformed).toEqual({ NDP_BAD_HOP_LIMIT: 1, NDP_BAD_CHECKSUM: 1, NDP_OPTION_ZERO_LENGTH: 2 });
    expect(s).toMatchObject({ sendErrors: 0, receiveErrors: 0 });
  });

  it("closes idempotently, leaves the group, and releases the event loop so the child exits by itself", async () => {
    child!.send({ cmd: "close" });
    await child!.next("closed");
    const r = await inNs(lab!.nsA, "ip", ["-6", "maddr", "show", "dev", lab!.ifA]);
    expect(r.out).not.toContain("ff02::1:ff00:c8");
    const code = await Promise.race([child!.exited, sleep(5_000).then(() => "timeout")]);
    expect(code).toBe(0);
  });
});

describe.skipIf(!isRoot)("periodic refresh of gratuitous ARP and unsolicited NA (lab)", () => {
  it("announces both VIPs on takeover and then every refresh period", async () => {
    const REFRESH_MS = 400;
    const child = new ResponderChild(lab!, lab!.ifA, String(REFRESH_MS), "announcer-child.mjs", [VIP4, VIP]);
    try {
      await child.next("ready");
      const tcpdump = await capture(lab!, `(arp src host ${VIP4}) or (icmp6 and ip6[40] == 136)`, 100);
      child.send({ cmd: "answer" });
      await child.next("answering");
      const out = await tcpdump.stop(2_250);
      const times = (re: RegExp) => out.split("\n").filter((l) => re.test(l)).map((l) => Number(l.split(" ")[0]) * 1000);
      const garp = times(/Request who-has 198\.18\.0\.200 tell 198\.18\.0\.200/);
      const na = times(/neighbor advertisement.*Flags \[override\]/);
      // t = 0 (takeover), 400, 800, 1200, 1600, 2000: at least five rounds in 2.25 s, each about one period apart.
      for (const series of [garp, na]) {
        expect(series.length, out).toBeGreaterThanOrEqual(5);
        expect(series.length, out).toBeLessThanOrEqual(6);
        const gaps = series.slice(1).map((t, i) => t - series[i]!);
        for (const gap of gaps) expect(Math.abs(gap - REFRESH_MS), `gaps ${gaps.join(", ")}`).toBeLessThan(100);
      }
      expect(times(/Reply 198\.18\.0\.200 is-at/)).toHaveLength(garp.length);
      child.send({ cmd: "stats" });
      const { stats } = await child.next("stats");
      expect(stats).toMatchObject({ answering: { ipv4: 1, ipv6: 1 }, announceErrors: 0, conflicts: { total: 0 } });
      child.send({ cmd: "close" });
      await child.next("closed");
      expect(await Promise.race([child.exited, sleep(5_000).then(() => "timeout")])).toBe(0);
    } finally {
      child.kill();
    }
  });
});
