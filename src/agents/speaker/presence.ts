import type { JetStreamClient } from "@nats-io/jetstream";
import { performance } from "node:perf_hooks";
import { encodeEvent } from "../../events/codec.js";
import { subjects } from "../../events/subjects.js";
import { LocalHealth } from "./localHealth.js";

export type PresenceOptions = {
  js: JetStreamClient;
  node: string;
  incarnation: number;
  version: string;
  /** How often this speaker measures its own lateness (the heartbeat interval). */
  intervalMs: number;
  /** How often it says it is there (`NodePresence` on vipmesh.hb.<node>). */
  everyMs: number;
  /** The EVENTS sequence this speaker has applied, reported in each presence. */
  eventsSeq: () => number;
  onError: (err: Error) => void;
};

/**
 * `--membership verdicts`: instead of a heartbeat every interval, a `NodePresence` every few seconds (design.md,
 * "Membership: watchers and verdicts"); its watchers judge it by probes, not by these. The speaker still measures its
 * own lateness every interval (Lifeguard's local health, localHealth.ts): its probe acks and verdicts carry the score.
 */
export function startPresence(opts: PresenceOptions): { stop: () => void; health: LocalHealth } {
  const subject = subjects.heartbeat(opts.node);
  const health = new LocalHealth(opts.intervalMs * 2);
  const ticksPerPresence = Math.max(1, Math.round(opts.everyMs / opts.intervalMs));
  let dueAt = performance.now();
  let tick = 0;
  let sent = 0;
  const publish = (): void => {
    sent++;
    const n = sent;
    const bytes = encodeEvent({ type: "NodePresence", data: { node: opts.node, incarnation: opts.incarnation, version: opts.version, health: health.score, eventsSeq: opts.eventsSeq() } });
    health.sent(n);
    opts.js
      .publish(subject, bytes, { timeout: opts.everyMs })
      .then(() => health.acked(n))
      .catch((err: unknown) => {
        health.acked(n);
        opts.onError(err as Error);
      });
  };
  const measure = (): void => {
    const now = performance.now();
    health.beat(Math.max(0, now - dueAt));
    dueAt = now + opts.intervalMs;
    if (tick++ % ticksPerPresence === 0) publish();
  };
  measure();
  const timer = setInterval(measure, opts.intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      health.stop();
    },
    health,
  };
}
