import type { JetStreamClient } from "@nats-io/jetstream";
import { performance } from "node:perf_hooks";
import { encodeEvent } from "../../events/codec.js";
import { subjects } from "../../events/subjects.js";
import { LocalHealth } from "./localHealth.js";

export type HeartbeatOptions = {
  js: JetStreamClient;
  node: string;
  incarnation: number;
  version: string;
  intervalMs: number;
  onError: (err: Error) => void;
};

/**
 * Publishes a heartbeat every interval without waiting on acks, so a slow ack never delays the next beat. A beat
 * says only what changes every beat: its number and this speaker's health score (how late it has been running,
 * localHealth.ts); the node's interfaces go to EVENTS when they change (factsPublisher.ts).
 */
export function startHeartbeats(opts: HeartbeatOptions): { stop: () => void; health: LocalHealth } {
  let beat = 0;
  const subject = subjects.heartbeat(opts.node);
  const health = new LocalHealth(opts.intervalMs * 2);
  let dueAt = performance.now();
  const send = (): void => {
    const now = performance.now();
    const score = health.beat(Math.max(0, now - dueAt));
    dueAt = now + opts.intervalMs;
    beat++;
    const n = beat;
    const bytes = encodeEvent({
      type: "NodeHeartbeatRecorded",
      data: { node: opts.node, incarnation: opts.incarnation, beat: n, ready: true, version: opts.version, health: score },
    });
    health.sent(n);
    opts.js
      .publish(subject, bytes, { timeout: opts.intervalMs * 10 })
      .then(() => health.acked(n))
      .catch((err: unknown) => {
        health.acked(n);
        opts.onError(err as Error);
      });
  };
  send();
  const timer = setInterval(send, opts.intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      health.stop();
    },
    health,
  };
}
