import { Option, type Command } from "commander";
import type { Logger } from "pino";
import type { LogHost } from "../agents/host/logHost.js";
import { credentialSource } from "../kube/credentialSource.js";
import type { KubeCredentials } from "../kube/credentials.js";
import type { ConfigurationStateRef } from "../kube/ingest/configurationState.js";
import { DEFAULT_CONFIG_NAMESPACE } from "../kube/ingest/kubeSource.js";
import type { ReleaseGuardSettings } from "../projections/ipam/releaseGuard.js";
import type { AgentMonitor } from "../agents/health/monitor.js";

// The Kubernetes side of a command: --kubeconfig (else $KUBECONFIG, else in-cluster credentials) switches the
// configuration source from the file to the API server. The Kubernetes modules are loaded only when there are
// credentials, and @kubernetes/client-node only by the agents that call it (not the speaker) or for credentials
// that need it (src/kube/plainCredentials.ts).

export function addKubeOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--kubeconfig <file>", "take configuration from this Kubernetes API (default: $KUBECONFIG, else in-cluster credentials, else --config)"))
    .addOption(new Option("--namespace <ns>", "namespace of the metallb.io objects").env("VIPMESH_NAMESPACE").default(DEFAULT_CONFIG_NAMESPACE));
}

export type KubeContext = { kc: KubeCredentials; namespace: string };

export async function kubeFromOptions(o: Record<string, string | undefined>, log: Logger): Promise<KubeContext | null> {
  const source = credentialSource(o["kubeconfig"]);
  if (source === null) return null;
  // The common credentials without @kubernetes/client-node (a speaker then never loads it); the rest through it.
  const { plainCredentials } = await import("../kube/plainCredentials.js");
  const kc = plainCredentials(source) ?? (await import("../kube/credentials.js")).loadKubeCredentials(o["kubeconfig"]);
  if (!kc) return null;
  if (o["config"]) log.warn({ config: o["config"] }, "Kubernetes credentials present: --config is ignored");
  return { kc, namespace: o["namespace"] ?? DEFAULT_CONFIG_NAMESPACE };
}

/** The ingest on the process's log host (`host`: being opened; the process closes it). */
export async function runIngestFor(kube: KubeContext, host: Promise<LogHost | null>, state: ConfigurationStateRef | null, releaseGuard: ReleaseGuardSettings, log: Logger, signal: AbortSignal, monitor?: AgentMonitor): Promise<void> {
  const opts = { kc: kube.kc, host, namespace: kube.namespace, state, recheckMs: 2_000, releaseGuard, log: log.child({ part: "ingest" }), ...(monitor ? { monitor } : {}) };
  const { runKubeIngest } = await import("../kube/ingest/ingest.js");
  return keepRunning("ingest", () => runKubeIngest(opts, signal), opts.log, signal);
}

/**
 * Runs a side agent until `signal` aborts, restarting it (capped backoff with jitter) when it fails: a failing
 * Kubernetes side must never take the speaker or allocator down with it.
 */
export async function keepRunning(name: string, run: () => Promise<void>, log: Logger, signal: AbortSignal): Promise<void> {
  let backoff = 500;
  while (!signal.aborted) {
    try {
      await run();
      return;
    } catch (err) {
      if (signal.aborted) return;
      log.error({ err: (err as Error).message }, `${name} failed; restarting`);
      await new Promise((r) => setTimeout(r, backoff + Math.random() * backoff));
      backoff = Math.min(backoff * 2, 10_000);
    }
  }
}
