import type { NatsConnection } from "@nats-io/transport-node";

/** Whether `nc` is connected now: false from a disconnect until the reconnect, and once it is closed. */
export function trackNatsLink(nc: NatsConnection): { readonly connected: boolean } {
  let up = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") up = false;
      else if (s.type === "reconnect") up = true;
    }
  })().catch(() => undefined);
  return {
    get connected() {
      return up && !nc.isClosed();
    },
  };
}
