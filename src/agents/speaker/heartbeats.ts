import type { JetStreamClient } from "@nats-io/jetstream";
import { encodeEvent } from "../../events/codec.js";
import { subjects } from "../../events/subjects.js";

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
 * says only what changes every beat; the node's interfaces go to EVENTS when they change (factsPublisher.ts).
 */
export function startHeartbeats(opts: HeartbeatOptions): { stop: () => void } {
  let beat = 0;
  const subject = subjects.heartbeat(opts.node);
  const send = (): void => {
    beat++;
    const bytes = encodeEvent({
      type: "NodeHeartbeatRecorded",
      data: { node: opts.node, incarnation: opts.incarnation, beat, ready: true, version: opts.version },
    });
    opts.js.publish(subject, bytes, { timeout: opts.intervalMs * 10 }).catch((err: unknown) => opts.onError(err as Error));
  };
  send();
  const timer = setInterval(send, opts.intervalMs);
  return { stop: () => clearInterval(timer) };
}
