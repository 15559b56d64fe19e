import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { securityFiles, type NatsClientSecurity, type SecurityFile } from "./security.js";

// Rotation without restart: the credential and certificate files are compared every 5 s; when one changes, the
// connection is re-established (the client reads every file again on connect). The NatsConnection object stays the
// same, so subscriptions, consumers and the agent's state carry over as after any reconnect.

const POLL_MS = 5_000;

function fingerprint(files: SecurityFile[]): string {
  const hash = createHash("sha256");
  for (const f of files) {
    try {
      hash.update(readFileSync(f.path));
    } catch {
      hash.update(`missing:${f.path}`);
    }
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** Watches until the connection closes; returns at once when `sec` names no file. */
export function reconnectOnRotation(nc: NatsConnection, sec: NatsClientSecurity, log: Logger | undefined): void {
  const files = securityFiles(sec);
  if (files.length === 0) return;
  let seen = fingerprint(files);
  const timer = setInterval(() => {
    const now = fingerprint(files);
    if (now === seen) return;
    seen = now;
    log?.info({ files: files.map((f) => `${f.source} ${f.path}`) }, "NATS credentials or certificates changed on disk; reconnecting with them");
    nc.reconnect().catch((err: unknown) => log?.warn({ err: String(err) }, "could not reconnect to NATS after a rotation"));
  }, POLL_MS);
  timer.unref();
  void nc.closed().finally(() => clearInterval(timer));
}
