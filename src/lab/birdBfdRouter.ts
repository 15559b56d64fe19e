// BIRD 2's BFD as the lab's BFD peer: `protocol bfd` with static single-hop neighbors, in the namespace
// `<prefix>bfdr` on the switch (the same place as LabBfdRouter, so not both in one lab). State is read from
// `birdc show bfd sessions`.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attachBfdRouterNamespace, BFD_ROUTER_V4, BFD_ROUTER_V6 } from "./bfdRouter.js";
import type { Lab } from "./lab.js";
import { deleteNamespace, RUN_DIR_PREFIX } from "./naming.js";
import { inNs, run } from "./run.js";

export type BirdBfdOptions = { neighbors: readonly string[]; intervalMs: number; multiplier: number };
export type BirdBfdSession = { address: string; state: string; intervalS: number; timeoutS: number };

export class LabBirdBfdRouter {
  readonly ns: string;
  private readonly dir: string;

  constructor(private readonly lab: Lab, private readonly opts: BirdBfdOptions) {
    this.ns = `${lab.prefix}bfdr`;
    this.dir = mkdtempSync(join(tmpdir(), `${RUN_DIR_PREFIX}${lab.prefix}birdbfd-`));
  }

  async start(): Promise<void> {
    await attachBfdRouterNamespace(this.lab, this.ns);
    const { intervalMs, multiplier, neighbors } = this.opts;
    const conf = [
      `router id ${BFD_ROUTER_V4};`,
      `log "${join(this.dir, "bird.log")}" all;`,
      "protocol device { }",
      "protocol bfd bfd1 {",
      `  interface "eth0" { min rx interval ${intervalMs} ms; min tx interval ${intervalMs} ms; multiplier ${multiplier}; };`,
      ...neighbors.map((n) => `  neighbor ${n} dev "eth0" local ${n.includes(":") ? BFD_ROUTER_V6 : BFD_ROUTER_V4};`),
      "}",
      "",
    ].join("\n");
    writeFileSync(join(this.dir, "bird.conf"), conf);
    await run(inNs(this.ns, ["bird", "-c", join(this.dir, "bird.conf"), "-s", this.socket, "-P", this.pidFile]));
  }

  private get socket(): string {
    return join(this.dir, "bird.ctl");
  }

  private get pidFile(): string {
    return join(this.dir, "bird.pid");
  }

  birdc(...command: string[]): Promise<string> {
    return run(inNs(this.ns, ["birdc", "-s", this.socket, ...command])).then((r) => r.stdout);
  }

  /** `show bfd sessions`, by neighbor address: its state (Up, Down, Init, AdminDown), interval and timeout in s. */
  async sessions(): Promise<Map<string, BirdBfdSession>> {
    return parseBirdBfdSessions(await this.birdc("show", "bfd", "sessions"));
  }

  /** SIGSTOP freezes BIRD (the peer goes silent without saying so), SIGCONT resumes it. */
  async signal(signal: NodeJS.Signals): Promise<void> {
    const r = await run(["cat", this.pidFile]);
    process.kill(Number(r.stdout.trim()), signal);
  }

  async stop(): Promise<void> {
    await deleteNamespace(this.ns);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** birdc's `show bfd sessions` text, by neighbor address. */
export function parseBirdBfdSessions(text: string): Map<string, BirdBfdSession> {
  const out = new Map<string, BirdBfdSession>();
  for (const line of text.split("\n")) {
    const m = /^\s*([0-9a-f:.]+)\s+\S+\s+(Up|Down|Init|AdminDown)\s+.*?([\d.]+)\s+([\d.]+)\s*$/i.exec(line);
    if (m) out.set(m[1] ?? "", { address: m[1] ?? "", state: m[2] ?? "", intervalS: Number(m[3]), timeoutS: Number(m[4]) });
  }
  return out;
}
