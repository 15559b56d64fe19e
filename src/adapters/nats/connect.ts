import { connect, type NatsConnection } from "@nats-io/transport-node";

export type NatsConnectOptions = {
  servers: string[];
  name: string;
  /** How often the client pings; two missed pongs mark the link dead. */
  pingIntervalMs: number;
};

export const DEFAULT_PING_INTERVAL_MS = 2_000;

/** Unlimited reconnects with jittered waits, and a ping that notices a dead link within seconds. */
export function connectNats(opts: NatsConnectOptions): Promise<NatsConnection> {
  return connect({
    servers: opts.servers,
    name: opts.name,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    pingInterval: opts.pingIntervalMs,
    maxPingOut: 2,
    waitOnFirstConnect: true,
    timeout: 5_000,
  });
}
