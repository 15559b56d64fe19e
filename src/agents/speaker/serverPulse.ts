import type { NatsConnection } from "@nats-io/transport-node";

/**
 * `--membership verdicts`: the speaker no longer reads a stream that flows all the time (every node's heartbeats), so
 * fencing's "the log is silent" needs another pulse: a round trip to the NATS server every `everyMs` (one at a time).
 * An answered round trip counts as log activity; a server that does not answer lets the silence grow as before.
 */
export function startServerPulse(nc: Pick<NatsConnection, "rtt">, everyMs: number, onPong: () => void): { stop: () => void } {
  let inFlight = false;
  const timer = setInterval(() => {
    if (inFlight) return;
    inFlight = true;
    nc.rtt()
      .then(() => onPong())
      .catch(() => undefined)
      .finally(() => (inFlight = false));
  }, everyMs);
  return { stop: () => clearInterval(timer) };
}
