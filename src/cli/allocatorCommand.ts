import { Command, Option } from "commander";
import { DEFAULT_STREAM_SETTINGS } from "../adapters/nats/streams.js";
import { allocatorHostOptions, runAllocator } from "../agents/allocator/allocator.js";
import { LogHost } from "../agents/host/logHost.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../projections/settings.js";
import { fileConfigSource } from "../agents/speaker/configSource.js";
import { addKubeOptions, kubeFromOptions, runIngestFor } from "./kubeAgents.js";
import { createLogger, logLevelOption } from "./logger.js";
import { intOption } from "./options.js";
import { exitWhenStopped, stopOnSignals } from "./stopSignals.js";
import { addReleaseGuardOption, releaseGuardFromOptions } from "./releaseGuardOption.js";
import { addNatsOptions, natsFromOptions } from "./natsOptions.js";
import { addMetricsOptions, monitorFromOptions } from "./metricsOptions.js";
import { addAllocatorIdOption, allocatorIdFromOptions } from "./allocatorIdOption.js";

export function allocatorCommand(): Command {
  return addMetricsOptions(addAllocatorIdOption(addReleaseGuardOption(addKubeOptions(addNatsOptions(new Command("allocator"))))))
    .description(
      "Allocate Service IPs from the pools (MetalLB's rules), each allocation a compare-and-set claim on the log. " +
        "Run any number of replicas; no leader, no lease. Every replica must use the same --lb-class.",
    )
    .addOption(new Option("--config <file>", "MetalLB-shaped YAML to publish as this cluster's configuration").env("VIPMESH_CONFIG"))
    .addOption(new Option("--lb-class <name>", "serve Services of this spec.loadBalancerClass (default: Services without a class)").env("VIPMESH_LB_CLASS"))
    .option("--replicas <n>", "stream replicas (3 on a NATS cluster)", String(DEFAULT_STREAM_SETTINGS.replicas))
    .option("--max-in-flight <n>", "claims published at once", "64")
    .option("--replan <ms>", "recompute the plan this often even when the log is quiet", "1000")
    .option("--config-poll <ms>", "how often the --config file is read again for changes", "2000")
    .addOption(logLevelOption())
    .action(async (o: Record<string, string | undefined>) => {
      const id = allocatorIdFromOptions(o);
      const log = createLogger(o["logLevel"], { agent: "allocator", id });
      const stop = stopOnSignals(log, 10_000);
      const metrics = await monitorFromOptions(o, "allocator", log);
      const nats = natsFromOptions(o, { role: "allocator", id });
      const kube = await kubeFromOptions(o, log);
      const streams = { ...DEFAULT_STREAM_SETTINGS, replicas: intOption(o, "replicas") };
      // The process's one log host: the allocator (and the ingest, with Kubernetes) are reactors on it.
      const host = LogHost.open(allocatorHostOptions({ name: `vipmesh-allocator-${id}`, ...nats, streams, snapshotEveryEvents: 1_000, heartbeats: false, membership: DEFAULT_MEMBERSHIP_SETTINGS, log }), stop.signal);
      const ingest = kube ? runIngestFor(kube, host, null, releaseGuardFromOptions(o), log, stop.signal, metrics.monitor) : null;
      await runAllocator(
        {
          id,
          ...nats,
          host,
          configSource: !kube && o["config"] ? fileConfigSource(o["config"]) : null,
          lbClass: o["lbClass"] ?? null,
          streams,
          maxInFlight: Math.max(1, intOption(o, "maxInFlight")),
          replanMs: Math.max(50, intOption(o, "replan")),
          configPollMs: intOption(o, "configPoll"),
          releaseGuard: releaseGuardFromOptions(o),
          snapshotEveryEvents: 1_000,
          log,
          ...(metrics.monitor ? { monitor: metrics.monitor } : {}),
        },
        stop.signal,
      );
      await ingest;
      await (await host)?.close();
      await metrics.close();
      exitWhenStopped(log);
    });
}
