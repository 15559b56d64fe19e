// The chart deploy/helm/vipmesh through the pinned helm (scripts/kube-build.sh): `helm template` and `helm lint`,
// for the chart's tests, the lab (which runs the command lines the chart renders) and scripts.
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { helmBinary } from "./kubePaths.js";

export const CHART_DIR = fileURLToPath(new URL("../../deploy/helm/vipmesh", import.meta.url));

export type HelmResult = { code: number; stdout: string; stderr: string };

/** Runs helm with `args`; never throws on a non-zero exit. */
export function runHelm(args: readonly string[]): Promise<HelmResult> {
  return new Promise((resolve, reject) => {
    execFile(helmBinary(), [...args], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== "number") return reject(new Error(`helm ${args.join(" ")}: ${err.message}`));
      resolve({ code: err ? Number(err.code) : 0, stdout, stderr });
    });
  });
}

/** `helm template vipmesh <chart> --namespace <ns> --set k=v…`: the rendered YAML, or an error naming helm's complaint. */
export async function renderChart(opts: { namespace?: string; set?: readonly string[] } = {}): Promise<string> {
  const sets = (opts.set ?? []).flatMap((s) => ["--set", s]);
  const r = await runHelm(["template", "vipmesh", CHART_DIR, "--namespace", opts.namespace ?? "metallb-system", ...sets]);
  if (r.code !== 0) throw new Error(`helm template failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}
