import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { securityFiles, type NatsClientSecurity, type SecurityFile } from "./security.js";

// Rotation without restart: the credential and certificate files are compared every 5 s; when one changes, a
// connection is made with them (the client reads every file again on connect). A long-running agent's log host logs in
// on a second connection and moves to it (swappableConnection.ts); a one-shot command reconnects in place.

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

/**
 * Calls `onChange` when one of `sec`'s files changes on disk, until `until` settles; returns at once when `sec`
 * names no file. A change whose `onChange` failed (NATS unreachable, a file half written) is tried again at the next
 * poll, and a poll while `onChange` runs waits for the next one.
 */
export function watchSecurityFiles(sec: NatsClientSecurity, until: Promise<unknown>, onChange: (files: SecurityFile[]) => Promise<void>): void {
  const files = securityFiles(sec);
  if (files.length === 0) return;
  let seen = fingerprint(files);
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    const now = fingerprint(files);
    if (now === seen) return;
    busy = true;
    onChange(files)
      .then(() => (seen = now))
      .catch(() => undefined)
      .finally(() => (busy = false));
  }, POLL_MS);
  timer.unref();
  void until.finally(() => clearInterval(timer));
}

/** In place: the connection drops and is made again with the new files (one-shot commands; agents swap instead). */
export function reconnectOnRotation(nc: NatsConnection, sec: NatsClientSecurity, log: Logger | undefined): void {
  watchSecurityFiles(sec, nc.closed(), async (files) => {
    log?.info({ files: files.map((f) => `${f.source} ${f.path}`) }, "NATS credentials or certificates changed on disk; reconnecting with them");
    await nc.reconnect().catch((err: unknown) => log?.warn({ err: String(err) }, "could not reconnect to NATS after a rotation"));
  });
}
