import tls from "node:tls";
import { CoreV1Api, KubeConfig, Watch } from "@kubernetes/client-node";
import { credentialsFromKubeconfig, type KubeCredentials } from "../kube/credentials.js";
import { apiConfigurationOf } from "../kube/apiClient.js";
import { kubeRequest, kubeWatch } from "../kube/http.js";
import { startKubeApiServer } from "../testing/kubeApiServer.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

// The same GET (the namespace "default"), N times one after another against the real test kube-apiserver, three
// ways: the library's generated client as KubeConfig.makeApiClient builds it, the same client on vipmesh's
// configuration (shared keep-alive agent), and vipmesh's hand-written node:https request. TLS handshakes are
// counted at tls.connect, which https.Agent calls for every new connection. Then W watches in a row, each ended by
// the server after 1 s (timeoutSeconds=1, as an informer's watch ends every 30 s and is resumed), with the
// library's Watch and with vipmesh's kubeWatch.

let handshakes = 0;
const connect = tls.connect;
(tls as { connect: typeof tls.connect }).connect = ((...args: Parameters<typeof tls.connect>) => {
  handshakes++;
  return connect(...args);
}) as typeof tls.connect;

type Way = { name: string; get: () => Promise<unknown> };

async function measure(way: Way, n: number): Promise<Record<string, number>> {
  await way.get(); // warm: the first request of each way pays its handshake and the server's first-request costs
  const before = handshakes;
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    await way.get();
    times.push(performance.now() - t);
  }
  const total = performance.now() - start;
  times.sort((a, b) => a - b);
  return {
    [`${way.name}_total_ms`]: Math.round(total),
    [`${way.name}_p50_ms`]: percentile(times, 50),
    [`${way.name}_p99_ms`]: percentile(times, 99),
    [`${way.name}_tls_handshakes`]: handshakes - before,
  };
}

const WATCH_PATH = "/api/v1/namespaces/default/configmaps";

async function libraryWatch(library: KubeConfig): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    void new Watch(library).watch(WATCH_PATH, { timeoutSeconds: 1, allowWatchBookmarks: true }, () => {}, (err: unknown) => (err ? reject(err as Error) : resolve()));
  });
}

async function ownWatch(kc: KubeCredentials): Promise<void> {
  await kubeWatch(kc, `${WATCH_PATH}?watch=true&timeoutSeconds=1&allowWatchBookmarks=true`, () => {}, new AbortController().signal);
}

async function measureWatches(name: string, watch: () => Promise<void>, n: number): Promise<Record<string, number>> {
  await watch();
  const before = handshakes;
  const start = performance.now();
  for (let i = 0; i < n; i++) await watch();
  return { [`${name}_watches_ms`]: Math.round(performance.now() - start), [`${name}_watch_tls_handshakes`]: handshakes - before };
}

export async function kubeRequestsBench(args: string[]): Promise<BenchResult> {
  const n = Number(args[0] ?? 1_000);
  const watches = Number(args[1] ?? 10);
  const api = await startKubeApiServer({ crdDir: null });
  try {
    const library = new KubeConfig();
    library.loadFromFile(api.kubeconfig);
    const plain = library.makeApiClient(CoreV1Api);
    const kc = credentialsFromKubeconfig(api.kubeconfig);
    const shared = new CoreV1Api(apiConfigurationOf(kc));
    const ways: Way[] = [
      { name: "library_default", get: () => plain.readNamespace({ name: "default" }) },
      { name: "library_shared_agent", get: () => shared.readNamespace({ name: "default" }) },
      { name: "node_https", get: () => kubeRequest(kc, { method: "GET", path: "/api/v1/namespaces/default" }) },
    ];
    const figures: Record<string, number> = { requests: n };
    for (const way of ways) Object.assign(figures, await measure(way, n));
    figures["watches"] = watches;
    Object.assign(figures, await measureWatches("library", () => libraryWatch(library), watches));
    Object.assign(figures, await measureWatches("node_https", () => ownWatch(kc), watches));
    return { name: "kube-requests", figures, settings: { requests: n, watches, sequential: true }, machine: machineDescription() };
  } finally {
    await api.stop();
  }
}
