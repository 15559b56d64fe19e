import type { Logger } from "pino";
import { connectOnce, connectUnlessStopped, type NatsConnectOptions } from "./connect.js";
import { watchNatsStatus } from "./linkReports.js";
import { watchSecurityFiles } from "./rotation.js";
import { describeIdentity } from "./security.js";
import { SwappableConnection } from "./swappableConnection.js";

/**
 * An agent's connection (the log host's): connected as connectNats does, with the link's losses and returns logged
 * across swaps, and a change of its credential or certificate files answered by logging in on a new connection
 * before the old one is left (swappableConnection.ts). Null when `opts.signal` stopped it before it connected.
 */
export async function connectSwappableUnlessStopped(opts: NatsConnectOptions & { log: Logger; signal: AbortSignal }): Promise<SwappableConnection | null> {
  const first = await connectUnlessStopped({ ...opts, bare: true });
  if (!first) return null;
  const link = await SwappableConnection.wrap(first);
  const { log, security } = opts;
  watchNatsStatus(link.nc, log);
  if (security) {
    watchSecurityFiles(security, link.nc.closed(), async (files) => {
      const changed = files.map((f) => `${f.source} ${f.path}`);
      log.info({ files: changed }, "NATS credentials or certificates changed on disk; logging in with them on a new connection before leaving the old one");
      const started = Date.now();
      try {
        await link.renew(() => connectOnce(opts));
      } catch (err) {
        log.warn({ err: String(err), files: changed }, "could not log in with the changed files; the current connection keeps serving, and the next check tries again");
        throw err;
      }
      log.info({ server: link.serving.getServer(), as: describeIdentity(security), loginMs: Date.now() - started }, "moved to a new NATS connection made with the changed files");
    });
  }
  return link;
}
