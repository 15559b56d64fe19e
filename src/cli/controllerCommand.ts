import { Command, Option } from "commander";
import { DEFAULT_STREAM_SETTINGS } from "../adapters/nats/streams.js";
import { allocatorHostOptions, runAllocator } from "../agents/allocator/allocator.js";
import { LogHost } from "../agents/host/logHost.js";
import { runStatusWriter } from "../agents/status/serviceStatusWriter.js";
import { addKubeOptions, keepRunning, kubeFromOptions, runIngestFor } from "./kubeAgents.js";
import { createLogger, logLevelOption } from "./logger.js";
import { intOption } from "./options.js";
import { exitWhenStopped, stopOnSignals } from "./stopSignals.js";
import { addReleaseGuardOption, releaseGuardFromOptions } from "./releaseGuardOption.js";
import { addMembershipOptions, membershipFromOptions } from "./membershipOptions.js";
import { addNatsOptions, natsFromOptions } from "./natsOptions.js";
import { addMetricsOptions, monitorFromOptions } from "./metricsOptions.js";
import { addAllocatorIdOption, allocatorIdFromOptions } from "./allocatorIdOption.js";
import { addAuthCalloutOptions, authCalloutFromOptions } from "./authCalloutOptions.js";
import { runAuthCallout } from "../kube/natsCallout/authCallout.js";

/** `vipmesh controller`: ingest + allocator + status writer against Kubernetes (the chart's Deployment, deploy/helm/vipmesh). */
export function controllerCommand(): Command {
  return addAuthCalloutOptions(addMetricsOptions(addAllocatorIdOption(addReleaseGuardOption(addMembershipOptions(addKubeOptions(addNatsOptions(new Command("controller"))))))))
    .description("Kubernetes controller: publish the cluster's MetalLB configuration to the log, allocate Service IPs, write Service and pool status. Run any number of replicas.")
    .addOption(new Option("--lb-class <name>", "serve Services of this spec.loadBalancerClass (default: Services without a class)").env("VIPMESH_LB_CLASS"))
    .option("--replicas <n>", "stream replicas (3 on a NATS cluster)", String(DEFAULT_STREAM_SETTINGS.replicas))
    .addOption(logLevelOption())
    .action(async (o: Record<string, string | undefined>) => {
      const id = allocatorIdFromOptions(o);
      const log = createLogger(o["logLevel"], { agent: "controller", id });
      const kube = await kubeFromOptions(o, log);
      if (!kube) throw new Error("controller: no Kubernetes credentials (--kubeconfig, $KUBECONFIG or in-cluster)");
      const stop = stopOnSignals(log, 10_000);
      const metrics = await monitorFromOptions(o, "controller", log);
      const nats = natsFromOptions(o, { role: "controller", id });
      const streams = { ...DEFAULT_STREAM_SETTINGS, replicas: intOption(o, "replicas") };
      const lbClass = o["lbClass"] ?? null;
      const callout = authCalloutFromOptions(o, kube.namespace);
      const membership = membershipFromOptions(o); // as the speakers' own: whether a node runs is judged alike (status)
      const state = { namespace: kube.namespace, name: "controller", component: "controller", node: null } as const;
      // The process's one log host (one connection, one view of both streams): ingest, allocator and status writer
      // are reactors on it. The auth callout keeps its own connection: other credentials, and it follows no stream.
      const host = LogHost.open(allocatorHostOptions({ name: `vipmesh-controller-${id}`, ...nats, streams, snapshotEveryEvents: 1_000, heartbeats: true, membership, log }), stop.signal);
      await Promise.all([
        callout ? keepRunning("auth callout", () => runAuthCallout({ ...nats, kc: kube.kc, ...callout, maxInFlight: 64, reviewTimeoutMs: 1_500, log: log.child({ part: "auth-callout" }), ...(metrics.monitor ? { monitor: metrics.monitor } : {}) }, stop.signal), log, stop.signal) : Promise.resolve(),
        runIngestFor(kube, host, state, releaseGuardFromOptions(o), log, stop.signal, metrics.monitor),
        keepRunning("status", () => runStatusWriter({ kc: kube.kc, host, namespace: kube.namespace, lbClass, retryMs: 1_000, log: log.child({ part: "status" }), ...(metrics.monitor ? { monitor: metrics.monitor } : {}) }, stop.signal), log, stop.signal),
        runAllocator(
          { id, ...nats, host, configSource: null, lbClass, streams, maxInFlight: 64, replanMs: 1_000, configPollMs: 2_000, releaseGuard: releaseGuardFromOptions(o), snapshotEveryEvents: 1_000, log, ...(metrics.monitor ? { monitor: metrics.monitor } : {}) },
          stop.signal,
        ),
      ]);
      await (await host)?.close();
      await metrics.close();
      exitWhenStopped(log);
    });
}
