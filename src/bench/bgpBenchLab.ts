// The lab for the BGP benchmarks: N nodes and the FRR router (src/lab/bgpRouter.ts), one bgpPeerWorker per node.
import { fileURLToPath } from "node:url";
import { LabBgpRouter, ROUTER_V4 } from "../lab/bgpRouter.js";
import { frrModeArgs } from "../lab/frrMode.js";
import { createLab, type Lab } from "../lab/lab.js";
import { waitFor } from "../lab/run.js";
import { nodeRole, roleIp } from "../lab/topology.js";
import type { ProcHandle } from "../lab/types.js";

export const BENCH_ASN = 64512;
const WORKER = fileURLToPath(new URL("./bgpPeerWorker.js", import.meta.url));
/** The same worker with the FRR backend: bgpd beside it gets the routes (bgp-change --backend frr). */
const FRR_WORKER = fileURLToPath(new URL("./bgpFrrPeerWorker.js", import.meta.url));
export type BgpBackend = "native" | "frr";

export type WorkerLine = { event: string; t?: number; prefix?: string; updatesSent?: number; established?: number };
export type BenchWorker = { proc: ProcHandle; lines: WorkerLine[] };
type Summary = { ipv4Unicast?: { peers?: Record<string, { state: string; pfxRcd?: number; connectionsDropped?: number; connectionsEstablished?: number }> } };

export class BgpBenchLab {
  private constructor(readonly lab: Lab, readonly router: LabBgpRouter) {}

  static async start(nodes: number): Promise<BgpBenchLab> {
    const lab = await createLab({ nodes });
    const neighbors = Array.from({ length: nodes }, (_, i) => ({ address: roleIp(nodeRole(i + 1)), asn: BENCH_ASN }));
    const router = new LabBgpRouter(lab, { asn: BENCH_ASN, neighbors, holdTimeS: 9 });
    try {
      await router.start();
    } catch (err) {
      await router.stop();
      await lab.destroy();
      throw err;
    }
    return new BgpBenchLab(lab, router);
  }

  worker(k: number, routes: number, backend: BgpBackend = "native"): BenchWorker {
    const lines: WorkerLine[] = [];
    const role = nodeRole(k);
    const frr = backend === "frr" ? [FRR_WORKER, "--frr-dir", frrModeArgs().at(-1) ?? ""] : [WORKER];
    const proc = this.lab.spawn(role, [process.execPath, ...frr, "--peer", ROUTER_V4, "--routes", String(routes), "--router-id", roleIp(role), "--asn", String(BENCH_ASN)], {
      name: `bgp-worker-${role}`,
      onLine: (l) => {
        try {
          lines.push(JSON.parse(l) as WorkerLine);
        } catch {
          /* not ours */
        }
      },
    });
    return { proc, lines };
  }

  async peers(): Promise<NonNullable<NonNullable<Summary["ipv4Unicast"]>["peers"]>> {
    return (await this.router.vtysh<Summary>("show bgp summary json")).ipv4Unicast?.peers ?? {};
  }

  waitEstablished(nodes: number, timeoutMs = 30_000): Promise<true> {
    return waitFor("every session Established at FRR", async () => {
      const p = await this.peers();
      return Array.from({ length: nodes }, (_, i) => p[roleIp(nodeRole(i + 1))]?.state).every((s) => s === "Established") ? true : undefined;
    }, timeoutMs, 100);
  }

  async destroy(): Promise<void> {
    await this.lab.destroy();
    await this.router.stop();
  }
}
