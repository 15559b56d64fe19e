import type { Logger } from "pino";
import { LogHost } from "../../src/agents/host/logHost.js";
import { speakerBgpPlan } from "../../src/agents/speaker/bgpView.js";
import { AnnouncerDecisions } from "../../src/agents/speaker/decisions.js";
import { speakerHostOptions } from "../../src/agents/speaker/speaker.js";
import { runNodeStatusWriter } from "../../src/agents/status/nodeStatusWriter.js";
import { DEFAULT_STREAM_SETTINGS } from "../../src/adapters/nats/streams.js";
import type { KubeCredentials } from "../../src/kube/credentials.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import type { NatsServer } from "../../src/testing/localNatsServer.js";

// A node's status writer on its own log host, for tests whose speakers are simulated (heartbeats and claims
// published by hand): the decisions it renders are what the speaker's own decision functions give on that view
// (answersFor, speakerBgpPlan; react() in speaker.ts hands them over the same way), without the network effects.

export type RunningWriter = { stop(): Promise<void> };

export function startNodeStatusWriter(o: { kc: KubeCredentials; nats: NatsServer; node: string; namespace: string; log: Logger; retryMs: number }): RunningWriter {
  const stop = new AbortController();
  const opening = LogHost.open(speakerHostOptions({ node: o.node, natsServers: [o.nats.url], natsSecurity: o.nats.client(), streams: { ...DEFAULT_STREAM_SETTINGS, replicas: 1 }, membership: DEFAULT_MEMBERSHIP_SETTINGS, snapshotEveryEvents: 1_000_000, log: o.log }), stop.signal);
  const done = (async () => {
    const host = await opening;
    if (!host) return;
    const decisions = new AnnouncerDecisions();
    const decide = (): void => decisions.decided(host.view.answersFor(o.node), host.view.ready ? speakerBgpPlan(host.view, o.node, false) : null);
    host.subscribe({ events: decide, heartbeats: decide });
    decide();
    try {
      await runNodeStatusWriter({ kc: o.kc, namespace: o.namespace, node: o.node, host, decisions, log: o.log, retryMs: o.retryMs }, stop.signal);
    } finally {
      await host.close();
    }
  })();
  return {
    stop: async () => {
      stop.abort();
      await done.catch(() => undefined);
    },
  };
}
