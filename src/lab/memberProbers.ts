// Membership probers in lab namespaces (scripts/lab/member-prober.mjs, the compiled adapter: `npm run build` first),
// each watching every other node on the lab's probe port with the run's probe key, and what they print.
import { labScript } from "./paths.js";
import { labProbeKeyArgs } from "./probeKey.js";
import { waitFor } from "./run.js";
import { nodeRole, roleIp } from "./topology.js";
import type { LabContext, ProcHandle } from "./types.js";

export const MEMBER_PROBE_PORT = 7946;

export type ProberEvent = {
  event: string;
  /** A verdict's fields (the judge's JudgedVerdict) and `at`, the child's clock when it was judged (epoch ms). */
  kind?: string;
  target?: string;
  at?: number;
  evidence?: { lastReplyAt: number | null; probes: number; indirect: { via: string; replied: boolean }[]; watcherHealth: number };
  [k: string]: unknown;
};

export class LabMemberProbers {
  private readonly events = new Map<number, ProberEvent[]>();
  private readonly procs = new Map<number, ProcHandle>();

  private constructor(readonly nodes: readonly number[]) {}

  /** Starts one prober per node (incarnation `incarnationBase + k`), waits until all listen, then lets them watch. */
  static async start(lab: LabContext, nodes: readonly number[], incarnationBase = 1_000): Promise<LabMemberProbers> {
    const probers = new LabMemberProbers(nodes);
    const keyFile = labProbeKeyArgs(lab.runDir)[1] ?? "";
    for (const k of nodes) {
      probers.events.set(k, []);
      const targets = nodes.filter((j) => j !== k).map((j) => ({ node: `node${j}`, address: roleIp(nodeRole(j)), incarnation: incarnationBase + j }));
      const argv = [process.execPath, labScript("member-prober.mjs"), `node${k}`, String(incarnationBase + k), String(MEMBER_PROBE_PORT), keyFile, JSON.stringify(targets)];
      probers.procs.set(k, lab.spawn(nodeRole(k), argv, {
        name: `member-prober-${k}-${incarnationBase}`,
        onLine: (line) => probers.events.get(k)?.push(JSON.parse(line) as ProberEvent),
      }));
    }
    for (const k of nodes) await waitFor(`node${k}'s prober`, () => (probers.of(k).some((e) => e.event === "ready") ? true : undefined), 30_000);
    for (const k of nodes) probers.procs.get(k)?.kill("SIGUSR1");
    return probers;
  }

  of(k: number): ProberEvent[] {
    return this.events.get(k) ?? [];
  }

  verdicts(k: number): ProberEvent[] {
    return this.of(k).filter((e) => e.event === "verdict");
  }

  /** The latest counters node k printed (every 200 ms). */
  counters(k: number): Record<string, unknown> | undefined {
    return this.of(k).filter((e) => e.event === "counters").at(-1);
  }

  kill(k: number): void {
    this.procs.get(k)?.kill("SIGKILL");
  }

  async stop(): Promise<void> {
    await Promise.all([...this.procs.values()].map((p) => p.stop(2_000)));
  }
}
