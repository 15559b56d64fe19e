import { Command, Option } from "commander";
import { DEFAULT_STREAM_SETTINGS } from "../adapters/nats/streams.js";
import { createL2Announcer } from "../agents/speaker/l2Announcer.js";
import { fileConfigSource } from "../agents/speaker/configSource.js";
import { runSpeaker, speakerHostOptions } from "../agents/speaker/speaker.js";
import { MEMBERSHIP_MODES } from "../events/types.js";
import { LogHost } from "../agents/host/logHost.js";
import { AnnouncerDecisions } from "../agents/speaker/decisions.js";
import { bgpPeerBfdStatus } from "../agents/speaker/bfdStatus.js";
import { filePasswordReader } from "../agents/speaker/passwordReaders.js";
import { addBgpOptions, bgpAnnouncerFromOptions } from "./bgpOptions.js";
import { addKubeOptions, keepRunning, kubeFromOptions, runIngestFor } from "./kubeAgents.js";
import { addMembershipOptions, membershipFromOptions } from "./membershipOptions.js";
import { createLogger, logLevelOption } from "./logger.js";
import { intOption, listOption } from "./options.js";
import { exitWhenStopped, stopOnSignals } from "./stopSignals.js";
import { addReleaseGuardOption, releaseGuardFromOptions } from "./releaseGuardOption.js";
import { VERSION } from "./version.js";
import { DEFAULT_FENCE_SETTINGS } from "../protocols/fence/fenceMachine.js";
import { addProbeKeyOptions, probeKeysFromOptions } from "./probeKeyOptions.js";
import { addNatsOptions, natsFromOptions } from "./natsOptions.js";
import { addMetricsOptions, monitorFromOptions } from "./metricsOptions.js";

async function loadKubeParts() {
  const [passwords, status] = await Promise.all([import("../agents/speaker/kubePasswordReader.js"), import("../agents/status/nodeStatusWriter.js")]);
  return { kubePasswordReader: passwords.kubePasswordReader, runNodeStatusWriter: status.runNodeStatusWriter };
}

export function speakerCommand(): Command {
  return addMetricsOptions(addProbeKeyOptions(addReleaseGuardOption(addMembershipOptions(addKubeOptions(addBgpOptions(addNatsOptions(new Command("speaker"))))))))
    .description("Run this node's speaker: heartbeat to the log, claim VIPs the projection assigns to this node, answer ARP for them.")
    .addOption(new Option("--node <name>", "this node's name (as Kubernetes knows it)").env("NODE_NAME").makeOptionMandatory())
    .addOption(new Option("--config <file>", "MetalLB-shaped YAML to publish as this cluster's configuration").env("VIPMESH_CONFIG"))
    .option("--exclude-interface <names>", "interfaces that must never answer, comma-separated", "")
    .option("--replicas <n>", "stream replicas (3 on a NATS cluster)", String(DEFAULT_STREAM_SETTINGS.replicas))
    .option("--probe-port <port>", "UDP port for direct probes between speakers (fencing)", "7946")
    .option("--fence-after <ms>", "log silence after which a speaker asks its peers whether it is cut off", String(DEFAULT_FENCE_SETTINGS.logSilentAfterMs))
    .option("--announce-refresh <ms>", "re-announce owned VIPs (gratuitous ARP / unsolicited NA) this often; 0 turns it off", "30000")
    .option("--config-poll <ms>", "how often the --config file is read again for changes", "2000")
    .option("--ingest", "with Kubernetes: also publish the configuration from the API server (controllers do; needs read access to BGPPeer password Secrets)")
    .addOption(new Option("--on-sigterm <mode>", "handover: leave, VIPs move first (drains, reboots); restart: upgrade in place, VIPs wait for the new process").choices(["handover", "restart"]).default("handover"))
    .option("--restart-grace <ms>", "with --on-sigterm restart: how long VIPs wait for the new process before moving", "10000")
    .addOption(new Option("--membership <mode>", "heartbeats: every speaker judges every node by its heartbeats; verdicts (experimental): watchers probe a few nodes each and put verdicts on the log").choices([...MEMBERSHIP_MODES]).default("heartbeats"))
    .option("--handover-timeout <ms>", "how long shutdown waits for other nodes to claim this node's VIPs", "3000")
    .addOption(logLevelOption())
    .action(async (o: Record<string, string | undefined>) => {
      const log = createLogger(o["logLevel"], { node: o["node"] });
      const membership = membershipFromOptions(o);
      const probeKeys = probeKeysFromOptions(o, log);
      const metrics = await monitorFromOptions(o, "speaker", log);
      // The orderly stop: BGP shutdown wait, the handover, and a few seconds for NATS requests that cannot be answered.
      const stop = stopOnSignals(log, intOption(o, "bgpShutdownWait") + intOption(o, "handoverTimeout") + 5_000);
      const nats = natsFromOptions(o, { role: "speaker", id: o["node"] ?? null });
      const kube = await kubeFromOptions(o, log);
      const state = { namespace: kube?.namespace ?? "", name: `speaker-${o["node"] ?? ""}`, component: "speaker", node: o["node"] ?? null } as const;
      const streams = { ...DEFAULT_STREAM_SETTINGS, replicas: intOption(o, "replicas") };
      const node = o["node"] ?? "";
      // The process's one log host: the speaker, the node status writer and (--ingest) the ingest are reactors on it.
      const membershipMode = o["membership"] === "verdicts" ? "verdicts" : "heartbeats";
      const hostOpening = LogHost.open(speakerHostOptions({ node, ...nats, streams, membership, membershipMode, snapshotEveryEvents: 1_000, log }), stop.signal);
      const ingest = kube && o["ingest"] ? runIngestFor(kube, hostOpening, state, releaseGuardFromOptions(o), log, stop.signal, metrics.monitor) : null;
      // ServiceL2Status / ServiceBGPStatus of this node, from what the speaker's announcers were told. It stops after
      // the speaker has left, not at SIGTERM: while the VIPs are handed over it deletes the objects of those that move
      // (the controller deletes what remains of a node that left; src/projections/kubeStatus/stale.ts).
      const statusStop = new AbortController();
      const decisions = new AnnouncerDecisions();
      // Kubernetes modules only with credentials (kubeAgents.ts).
      const kubeParts = kube ? await loadKubeParts() : null;
      const bgp = bgpAnnouncerFromOptions(o, log, kube && kubeParts ? kubeParts.kubePasswordReader(kube.kc, kube.namespace) : o["config"] ? filePasswordReader(o["config"]) : null);
      const statusLog = log.child({ part: "node-status" });
      const runNodeStatus = async (): Promise<void> => {
        const host = await hostOpening;
        if (!host || !kube || !kubeParts) return;
        await kubeParts.runNodeStatusWriter({ kc: kube.kc, namespace: kube.namespace, node, host, decisions, log: statusLog, bfdStatus: () => bgpPeerBfdStatus(bgp) }, statusStop.signal);
      };
      const nodeStatus = kube && kubeParts ? keepRunning("node-status", runNodeStatus, statusLog, statusStop.signal) : null;
      await runSpeaker(
        {
          node,
          ...nats,
          host: hostOpening,
          decisions,
          configSource: !kube && o["config"] ? fileConfigSource(o["config"]) : null,
          membership,
          streams,
          excludeInterfaces: listOption(o["excludeInterface"]),
          version: VERSION,
          handoverTimeoutMs: intOption(o, "handoverTimeout"),
          snapshotEveryEvents: 1_000,
          configPollMs: intOption(o, "configPoll"),
          releaseGuard: releaseGuardFromOptions(o),
          announcer: createL2Announcer(log, { refreshMs: intOption(o, "announceRefresh") }),
          bgp,
          fence: { ...DEFAULT_FENCE_SETTINGS, logSilentAfterMs: intOption(o, "fenceAfter") },
          probePort: intOption(o, "probePort"),
          probeKeys: probeKeys.keys,
          onSigterm: o["onSigterm"] === "restart" ? "restart" : "handover",
          restartGraceMs: intOption(o, "restartGrace"),
          membershipMode,
          log,
          ...(metrics.monitor ? { monitor: metrics.monitor } : {}),
        },
        stop.signal,
      ).finally(() => {
        statusStop.abort();
        probeKeys.close();
      });
      await Promise.all([ingest, nodeStatus]);
      await (await hostOpening)?.close();
      await metrics.close();
      exitWhenStopped(log);
    });
}
