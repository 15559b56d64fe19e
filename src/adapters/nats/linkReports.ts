import type { NatsConnection, Status } from "@nats-io/transport-node";
import type { Logger } from "pino";

/** While the link stays down, one report this often instead of one per reconnect attempt (several a second). */
const DOWN_REPORT_EVERY_MS = 10_000;

/** Logs a connected client's losses and returns of its link to NATS until the connection closes. */
export function watchNatsStatus(nc: NatsConnection, log: Logger): void {
  void (async () => {
    let downSince: number | null = null;
    let lastReport = 0;
    let attempts = 0;
    let lost = "";
    for await (const s of nc.status()) {
      const now = Date.now();
      if (s.type === "disconnect") {
        downSince = now;
        lastReport = now;
        attempts = 0;
        lost = s.server;
        log.warn({ server: s.server }, "lost the connection to NATS; reconnecting (reported every 10 s until it is back)");
      } else if (s.type === "reconnecting") {
        attempts++;
        if (downSince !== null && now - lastReport >= DOWN_REPORT_EVERY_MS) {
          lastReport = now;
          log.warn({ server: lost, attempts, downMs: now - downSince }, "still cannot reach NATS; reconnecting");
        }
      } else if (s.type === "reconnect") {
        // Without a loss before it, a reconnect is a move to a new connection (swappableConnection.ts), logged there.
        if (downSince !== null) log.info({ server: s.server, downMs: now - downSince }, "reconnected to NATS");
        downSince = null;
      } else {
        report(s, log);
      }
    }
  })().catch((err: unknown) => log.debug({ err: String(err) }, "NATS status reports ended"));
}

function report(s: Status, log: Logger): void {
  switch (s.type) {
    case "error":
      log.warn({ err: s.error.message }, "NATS reported an error");
      return;
    case "staleConnection":
      log.warn("NATS did not answer pings; reconnecting");
      return;
    case "ldm":
      log.info({ server: s.server }, "NATS server is shutting down (lame duck mode); moving to another");
      return;
    case "slowConsumer":
      log.warn({ subject: s.sub.getSubject(), pending: s.pending }, "NATS: a subscription is falling behind");
      return;
    default:
      return;
  }
}
