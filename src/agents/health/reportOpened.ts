import type { NatsConnection } from "@nats-io/transport-node";
import { trackNatsLink } from "../../adapters/nats/linkState.js";
import { watchFollower } from "./followerWatch.js";
import type { PartHealth } from "./partHealth.js";

/**
 * An agent that has opened the log reports from now on: its connection's state, its followers (by stream) still
 * running, `caughtUp` (the agent's own signal, as it defines it) and, for a speaker, whether it is fenced.
 */
export function reportOpened(health: PartHealth, p: { nc: NatsConnection; followers: Readonly<Record<string, { done: Promise<void> }>>; caughtUp: () => boolean; fenced?: () => boolean }): void {
  const link = trackNatsLink(p.nc);
  const followers = Object.entries(p.followers).map(([stream, f]) => [stream, watchFollower(f.done)] as const);
  health.opened(() => ({
    natsConnected: link.connected,
    caughtUp: p.caughtUp(),
    ...(p.fenced ? { fenced: p.fenced() } : {}),
    followers: Object.fromEntries(followers.map(([stream, w]) => [stream, w.alive])),
  }));
}
