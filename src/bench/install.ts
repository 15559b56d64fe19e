import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { pino } from "pino";
import { startKubeL2Cluster } from "../lab/kubeCluster.js";
import { l2Manifests } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import { nodeRole } from "../lab/topology.js";
import { renderChart } from "../testing/helmChart.js";
import { machineDescription, type BenchResult } from "./report.js";

// install: the image (built, or reused from scripts/build-image.sh's cache), the chart rendered and applied to a real
// kube-apiserver, the lab started with the speakers' and controllers' command lines from the rendered objects, a pool,
// an advertisement and a LoadBalancer Service, until the lab's client gets an HTTP answer from the VIP. The series a
// speaker's /metrics then serves are counted.

const VIP = "198.18.0.230";
const GET = `fetch(process.argv[1], { signal: AbortSignal.timeout(5000) }).then(async (r) => process.stdout.write(await r.text()), () => undefined);`;

function imageMb(): number {
  const script = fileURLToPath(new URL("../../scripts/build-image.sh", import.meta.url));
  const lines = execFileSync("bash", [script], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 16 * 1024 * 1024 }).trim().split("\n");
  const out = JSON.parse(lines[lines.length - 1] ?? "{}") as { sizeMb?: number };
  if (typeof out.sizeMb !== "number") throw new Error("scripts/build-image.sh printed no sizeMb");
  return out.sizeMb;
}

export async function installBench(): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const image = imageMb();
  const rendered = await renderChart({ set: ["nats.speakerNodes={node1,node2,node3}"] });
  const objects = parseAllDocuments(rendered).filter((d) => d.toJS() !== null).length;
  const start = Date.now();
  const k = await startKubeL2Cluster({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
  const labReady = Date.now();
  try {
    for (const input of [rendered, l2Manifests([])]) {
      const r = await k.api.kubectl(["apply", "-f", "-"], { input });
      if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
    }
    const prober = k.cluster.lab.startProber({ url: `http://${VIP}/`, intervalMs: 20, timeoutMs: 300 });
    try {
      const service = `{"apiVersion":"v1","kind":"Service","metadata":{"name":"web","namespace":"default"},"spec":{"type":"LoadBalancer","loadBalancerIP":"${VIP}","ports":[{"port":80}]}}`;
      const created = Date.now();
      const applied = await k.api.kubectl(["apply", "-f", "-"], { input: service });
      if (applied.code !== 0) throw new Error(applied.stderr);
      const ok = await prober.waitForSuccess({ after: start, timeoutMs: 60_000 });
      const reachableAt = ok.t + ok.ms;
      const metrics = await k.cluster.lab.exec(nodeRole(1), [process.execPath, "-e", GET, "http://127.0.0.1:7472/metrics"], { allowFail: true, timeoutMs: 10_000 });
      const series = metrics.stdout.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
      return {
        name: "install",
        figures: {
          image_mb: image,
          chart_objects: objects,
          install_to_reachable_ms: Math.round(reachableAt - start),
          metrics_series: series,
          lab_and_api_ready_ms: labReady - start,
          service_to_reachable_ms: Math.round(reachableAt - created),
        },
        settings: { nodes: 3, controllers: 2, from: "kube-apiserver start (CRDs), the lab, the chart's objects applied, pool, Service", speakersFrom: "dist/ with the chart's command lines (not the image's root filesystem)" },
        machine: machineDescription(),
      };
    } finally {
      await prober.stop();
    }
  } finally {
    await k.destroy();
  }
}
