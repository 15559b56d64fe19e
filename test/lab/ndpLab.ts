// Fixture for the NDP lab test: two network namespaces joined by a veth pair on 2001:db8:0:1::/64 (DAD off, so
// addresses are usable at once), the L2 adapters compiled to plain JS for child processes in namespace A.
// Shares the ARP fixture's helpers (Lab shape, inNs, inject, ResponderChild, destroyLab). Namespaces are named
// vmn<pid>-<3 hex>a/b (not the ARP test's vmt prefix, so each sweep touches only its own leftovers).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { REPO, destroyLab, sh, shStatus } from "./arpLab.js";
import type { Lab } from "./arpLab.js";

export const ADDR_A = "2001:db8:0:1::1";
export const ADDR_B = "2001:db8:0:1::2";
const NAME_RE = /^vmn(\d+)-[0-9a-f]{3}[ab]$/;

async function sweepStale(): Promise<void> {
  const list = await shStatus("ip", ["netns", "list"]);
  for (const name of list.out.split("\n").map((l) => l.split(" ")[0] ?? "")) {
    const pid = NAME_RE.exec(name)?.[1];
    if (pid !== undefined && !pidAlive(Number(pid))) await shStatus("ip", ["netns", "del", name]);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export async function createNdpLab(): Promise<Lab> {
  await sweepStale();
  const prefix = `vmn${process.pid}-${randomBytes(2).toString("hex").slice(0, 3)}`;
  const lab: Lab = { nsA: `${prefix}a`, nsB: `${prefix}b`, ifA: `${prefix}a`, ifB: `${prefix}b`, dir: mkdtempSync(join(tmpdir(), `${prefix}-`)) };
  try {
    for (const ns of [lab.nsA, lab.nsB]) {
      await sh("ip", ["netns", "add", ns]);
      // DAD off before the veth exists, so both ends inherit it.
      await sh("ip", ["netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"]);
    }
    await sh("ip", ["-n", lab.nsA, "link", "add", lab.ifA, "type", "veth", "peer", "name", lab.ifB, "netns", lab.nsB]);
    for (const [ns, ifname, v6, v4] of [[lab.nsA, lab.ifA, ADDR_A, "198.18.0.1"], [lab.nsB, lab.ifB, ADDR_B, "198.18.0.2"]] as const) {
      await sh("ip", ["-n", ns, "addr", "add", `${v6}/64`, "dev", ifname, "nodad"]);
      await sh("ip", ["-n", ns, "addr", "add", `${v4}/24`, "dev", ifname]);
      await sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
      await sh("ip", ["-n", ns, "link", "set", ifname, "up"]);
    }
    // Tools like ndisc6 need a usable link-local source: wait until each end has one that is not tentative.
    for (const [ns, ifname] of [[lab.nsA, lab.ifA], [lab.nsB, lab.ifB]] as const) await waitForLinkLocal(ns, ifname);
    await buildNdpArtifacts(lab.dir);
    return lab;
  } catch (err) {
    await destroyLab(lab);
    throw err;
  }
}

async function waitForLinkLocal(ns: string, ifname: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const out = execFileSync("ip", ["-n", ns, "-6", "addr", "show", "dev", ifname, "scope", "link"], { encoding: "utf8" });
    if (out.includes("inet6 fe80") && !out.includes("tentative")) return;
    if (Date.now() > deadline) throw new Error(`no usable link-local address on ${ns}/${ifname}: ${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Builds the addon if stale; compiles the NDP link and the L2 announcer into `dir`/dist; writes the children. */
async function buildNdpArtifacts(dir: string): Promise<void> {
  await sh(process.execPath, [join(REPO, "scripts/build-native.mjs")], 120_000);
  const tsconfig = {
    extends: join(REPO, "tsconfig.json"),
    compilerOptions: { outDir: join(dir, "dist"), rootDir: join(REPO, "src"), typeRoots: [join(REPO, "node_modules/@types")] },
    files: [join(REPO, "src/agents/speaker/l2Announcer.ts"), join(REPO, "src/adapters/packet/afpacket.ts")],
    include: [],
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
  await sh(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], 180_000);
  mkdirSync(join(dir, "build/native"), { recursive: true });
  symlinkSync(join(REPO, "build/native/afpacket.node"), join(dir, "build/native/afpacket.node"));
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules")); // raw-socket and pino for the children
  writeFileSync(join(dir, "ndp-child.mjs"), NDP_CHILD);
  writeFileSync(join(dir, "announcer-child.mjs"), ANNOUNCER_CHILD);
  writeFileSync(join(dir, "inject.mjs"), INJECT);
}

// An NDP link answering for one VIP: JSON commands on stdin, JSON events on stdout.
const NDP_CHILD = `
import { createInterface } from "node:readline";
import { pino } from "pino";
import { ndpLink } from "./dist/agents/speaker/ndpLink.js";

const [ifname, vip] = process.argv.slice(2);
const out = (msg) => process.stdout.write(JSON.stringify(msg) + "\\n");
const log = pino({ level: "warn" }, process.stderr);
const link = ndpLink(log)(ifname, {
  conflict: (c) => out({ event: "conflict", ...c }),
  dadProbe: (p) => out({ event: "dad", ...p }),
});
link.add(vip);
out({ event: "ready", mac: (await import("./dist/adapters/packet/afpacket.js")).interfaceInfo(ifname).mac });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rl = createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === "na") {
    for (let i = 0; i < cmd.count; i++) {
      if (i > 0) await sleep(50);
      link.announce(vip);
    }
    out({ event: "na", sent: cmd.count });
  } else if (cmd.cmd === "stats") {
    out({ event: "stats", stats: link.stats() });
  } else if (cmd.cmd === "close") {
    link.close();
    link.close();
    out({ event: "closed" });
    rl.close();
    process.stdin.destroy(); // nothing else holds the loop open: the process must now exit on its own
  }
});
`;

// The speaker's L2 announcer (ARP + NDP) with a one-shot burst and a short refresh, answering the given VIPs.
const ANNOUNCER_CHILD = `
import { createInterface } from "node:readline";
import { pino } from "pino";
import { createL2Announcer } from "./dist/agents/speaker/l2Announcer.js";

const [ifname, refreshMs, ...vips] = process.argv.slice(2);
const out = (msg) => process.stdout.write(JSON.stringify(msg) + "\\n");
const announcer = createL2Announcer(pino({ level: "warn" }, process.stderr), { burstMs: [0], refreshMs: Number(refreshMs) });
out({ event: "ready" });
const rl = createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === "answer") {
    announcer.update(new Map(vips.map((v) => [v, ifname])));
    out({ event: "answering" });
  } else if (cmd.cmd === "stats") {
    out({ event: "stats", stats: announcer.stats() });
  } else if (cmd.cmd === "close") {
    await announcer.close();
    out({ event: "closed" });
    rl.close();
    process.stdin.destroy();
  }
});
`;

// Sends raw frames (hex) through the addon; the socket's ethertype is irrelevant to what it sends.
const INJECT = `
import { openPacketSocket } from "./dist/adapters/packet/afpacket.js";
const [ifname, ...frames] = process.argv.slice(2);
const socket = openPacketSocket({ ifname, ethertype: 0x86dd });
for (const hex of frames) socket.send(Buffer.from(hex, "hex"));
socket.close();
`;
