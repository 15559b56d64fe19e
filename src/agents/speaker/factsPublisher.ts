import type { JetStreamClient } from "@nats-io/jetstream";
import { publishEvent } from "../../adapters/nats/publish.js";
import { subjects } from "../../events/subjects.js";
import type { InterfaceFact, MembershipMode } from "../../events/types.js";

export type FactsPublisherOptions = {
  js: JetStreamClient;
  node: string;
  incarnation: number;
  version: string;
  /** The host's interfaces and routes now. */
  read: () => InterfaceFact[];
  /** How often they are read again. */
  everyMs: number;
  /** The membership mode this speaker runs, stated in its facts so a replay knows which rules applied (heartbeats if absent). */
  membership?: MembershipMode;
  /** Called at the first failure after a success (or at start). */
  onError: (err: string) => void;
};

/**
 * Publishes this node's interfaces and routes (NodeFactsChanged on vipmesh.ev.node.<node>) at start and whenever
 * they change, instead of in every heartbeat. After a publish that fails, the facts are published again at the next
 * read whatever they are: a pulled cable's "eth0 down", buffered by the client, reached the log after the cable was
 * back, and with nothing changed since the last acknowledged publish the node stayed down there (never eligible).
 */
export function startFactsPublisher(opts: FactsPublisherOptions): { stop: () => void } {
  let published: string | null = null;
  let inFlight = false;
  let failing = false;
  const check = (): void => {
    if (inFlight) return;
    const interfaces = opts.read();
    const text = JSON.stringify(interfaces);
    if (text === published) return;
    inFlight = true;
    const event = { type: "NodeFactsChanged" as const, data: { node: opts.node, incarnation: opts.incarnation, version: opts.version, interfaces, ...(opts.membership ? { membership: opts.membership } : {}) } };
    void publishEvent(opts.js, subjects.nodeLifecycle(opts.node), event).then((r) => {
      inFlight = false;
      if (!failing && !r.ok) opts.onError(r.error); // once per streak of failures, not every read
      failing = !r.ok;
      // A publish whose ack timed out may still be stored later (the client sends what it buffered when the link is
      // back): forget what is on the log, so the facts of now are published again after it, even if unchanged.
      published = r.ok ? text : null;
    });
  };
  check();
  const timer = setInterval(check, opts.everyMs);
  return { stop: () => clearInterval(timer) };
}
