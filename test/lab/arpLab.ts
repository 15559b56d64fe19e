// Fixture for the ARP lab test: two network namespaces joined by a veth pair (198.18.0.0/24), the ARP adapters
// compiled to plain JS for child processes, and a responder child running inside namespace A.
// Nothing here touches the host's own interfaces, routes or sysctls: every command runs inside a lab namespace.
import { execFile, spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
export const REPO = fileURLToPath(new URL("../..", import.meta.url));

export async function sh(cmd: string, args: readonly string[], timeoutMs = 20_000): Promise<string> {
  const { stdout } = await run(cmd, args, { timeout: timeoutMs, encoding: "utf8" });
  return stdout;
}

/** Runs and returns exit code and output without throwing on a non-zero exit. */
export async function shStatus(cmd: string, args: readonly string[], timeoutMs = 20_000) {
  try {
    return { code: 0, out: await sh(cmd, args, timeoutMs) };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, out: `${e.stdout ?? ""}${e.stderr ?? ""}` };
  }
}

export interface Lab {
  readonly nsA: string;
  readonly nsB: string;
  readonly ifA: string;
  readonly ifB: string;
  readonly dir: string;
}

/** Builds the addon if stale and compiles src/adapters/arp (and its imports) into `dir`/dist for child processes. */
export async function buildArtifacts(dir: string): Promise<void> {
  await sh(process.execPath, [join(REPO, "scripts/build-native.mjs")], 120_000);
  const tsconfig = {
    extends: join(REPO, "tsconfig.json"),
    compilerOptions: { outDir: join(dir, "dist"), rootDir: join(REPO, "src"), typeRoots: [join(REPO, "node_modules/@types")] },
    files: [join(REPO, "src/adapters/arp/responder.ts")],
    include: [],
  };
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(tsconfig));
  writeFileSync(join(dir, "package.json"), '{ "type": "module" }');
  await sh(process.execPath, [join(REPO, "node_modules/typescript/bin/tsc"), "-p", join(dir, "tsconfig.json")], 120_000);
  // dist/adapters/packet/afpacket.js looks for ../../../build/native/afpacket.node, i.e. `dir`/build/native.
  mkdirSync(join(dir, "build/native"), { recursive: true });
  symlinkSync(join(REPO, "build/native/afpacket.node"), join(dir, "build/native/afpacket.node"));
  writeFileSync(join(dir, "responder-child.mjs"), CHILD);
  writeFileSync(join(dir, "inject.mjs"), INJECT);
}

// vmt<creator pid>-<3 hex><role>: at most 15 bytes, so the names also serve as interface names.
const NAME_RE = /^vmt(\d+)-[0-9a-f]{3}[ab]$/;

/** Deletes lab namespaces of this test that a killed run (creator pid gone) left behind. Touches no other names. */
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

export async function createLab(): Promise<Lab> {
  await sweepStale();
  const prefix = `vmt${process.pid}-${randomBytes(2).toString("hex").slice(0, 3)}`;
  const lab: Lab = {
    nsA: `${prefix}a`,
    nsB: `${prefix}b`,
    ifA: `${prefix}a`,
    ifB: `${prefix}b`,
    dir: mkdtempSync(join(tmpdir(), `${prefix}-`)),
  };
  try {
    await sh("ip", ["netns", "add", lab.nsA]);
    await sh("ip", ["netns", "add", lab.nsB]);
    // Created inside A with its peer placed straight into B: the pair never exists in the host namespace.
    await sh("ip", ["-n", lab.nsA, "link", "add", lab.ifA, "type", "veth", "peer", "name", lab.ifB, "netns", lab.nsB]);
    for (const [ns, ifname, addr] of [[lab.nsA, lab.ifA, "198.18.0.1/24"], [lab.nsB, lab.ifB, "198.18.0.2/24"]] as const) {
      await sh("ip", ["-n", ns, "addr", "add", addr, "dev", ifname]);
      await sh("ip", ["-n", ns, "link", "set", "lo", "up"]);
      await sh("ip", ["-n", ns, "link", "set", ifname, "up"]);
    }
    await buildArtifacts(lab.dir);
    return lab;
  } catch (err) {
    await destroyLab(lab);
    throw err;
  }
}

export async function destroyLab(lab: Lab): Promise<void> {
  for (const ns of [lab.nsA, lab.nsB]) await shStatus("ip", ["netns", "del", ns]);
  rmSync(lab.dir, { recursive: true, force: true });
}

export function inNs(ns: string, cmd: string, args: readonly string[], timeoutMs?: number) {
  return shStatus("ip", ["netns", "exec", ns, cmd, ...args], timeoutMs);
}

/** Sends raw frames (hex) from `ifname` inside `ns` through the addon. */
export async function inject(lab: Lab, ns: string, ifname: string, frames: readonly string[]): Promise<void> {
  const r = await inNs(ns, process.execPath, [join(lab.dir, "inject.mjs"), ifname, ...frames]);
  if (r.code !== 0) throw new Error(`inject failed: ${r.out}`);
}

export type ChildEvent = { event: string } & Record<string, unknown>;

/** The responder child: JSON commands on stdin, JSON events on stdout. */
export class ResponderChild {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private readonly events: ChildEvent[] = [];
  private waiters: Array<() => void> = [];
  stderr = "";

  /** Runs `script` (default the ARP responder child) from the lab dir in namespace A with `ifname vip ...extra`. */
  constructor(lab: Lab, ifname: string, vip: string, script = "responder-child.mjs", extra: readonly string[] = []) {
    this.proc = spawn("ip", ["netns", "exec", lab.nsA, process.execPath, join(lab.dir, script), ifname, vip, ...extra]);
    this.exited = new Promise((resolve) => this.proc.once("exit", (code) => resolve(code)));
    this.proc.stderr?.on("data", (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      this.events.push(JSON.parse(line) as ChildEvent);
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  send(cmd: Record<string, unknown>): void {
    this.proc.stdin?.write(`${JSON.stringify(cmd)}\n`);
  }

  /** The next not-yet-consumed event named `name`. */
  async next(name: string, timeoutMs = 10_000): Promise<ChildEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.events.findIndex((e) => e.event === name);
      if (i >= 0) return this.events.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0 || this.proc.exitCode !== null) {
        throw new Error(`no "${name}" event from responder child (stderr: ${this.stderr})`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill("SIGKILL");
  }
}

const CHILD = `
import { createInterface } from "node:readline";
import { startArpResponder } from "./dist/adapters/arp/responder.js";

const [ifname, vip] = process.argv.slice(2);
const out = (msg) => process.stdout.write(JSON.stringify(msg) + "\\n");
const log = { debug() {}, info() {}, warn: (fields, msg) => process.stderr.write(msg + " " + JSON.stringify(fields) + "\\n") };
const responder = startArpResponder({
  ifname,
  answerFor: () => new Set([vip]),
  onConflict: (c) => out({ event: "conflict", ...c }),
  log,
});
out({ event: "ready", mac: responder.transport.mac });
const rl = createInterface({ input: process.stdin });
rl.on("line", async (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === "garp") {
    const sent = await responder.transport.sendGratuitous(vip, cmd.count, { intervalMs: 50 });
    out({ event: "garp", sent });
  } else if (cmd.cmd === "stats") {
    out({ event: "stats", counters: responder.transport.counters, stats: responder.stats });
  } else if (cmd.cmd === "close") {
    responder.close();
    responder.close();
    out({ event: "closed", closed: responder.transport.isClosed });
    rl.close();
    process.stdin.destroy(); // nothing else holds the loop open: the process must now exit on its own
  }
});
`;

const INJECT = `
import { openPacketSocket } from "./dist/adapters/packet/afpacket.js";
const [ifname, ...frames] = process.argv.slice(2);
const socket = openPacketSocket({ ifname, ethertype: 0x0806 });
for (const hex of frames) socket.send(Buffer.from(hex, "hex"));
socket.close();
`;
