import type { Lab } from "../../src/lab/lab.js";
import { vipmeshArgv } from "../../src/lab/paths.js";
import type { ClusterStatus } from "../../src/projections/status/statusModel.js";

// `vipmesh status --json` run as an operator would, from the compiled CLI (npm run build), inside the lab's nats
// namespace with the reader's credentials: its exit status and what it printed.

export type StatusRun = { code: number | null; status: ClusterStatus; stderr: string };

export async function labStatus(cluster: { lab: Lab; natsUrl: string }): Promise<StatusRun> {
  const argv = vipmeshArgv("status", "--json", "--nats", cluster.natsUrl, ...cluster.lab.natsArgs("reader"));
  const r = await cluster.lab.exec("nats", argv, { allowFail: true, timeoutMs: 40_000 });
  if (r.code === 2 || r.stdout.trim() === "") throw new Error(`vipmesh status exited ${r.code}: ${r.stderr}`);
  return { code: r.code, status: JSON.parse(r.stdout) as ClusterStatus, stderr: r.stderr };
}

export const ownerOf = (s: ClusterStatus, vip: string): string | null => s.vips.find((v) => v.vip === vip)?.owner ?? null;
export const nodeStatus = (s: ClusterStatus, node: string): string | undefined => s.nodes.find((n) => n.node === node)?.status;
export const problemsOf = (s: ClusterStatus): string[] => s.problems.map((p) => `${p.code} ${p.about}`);
