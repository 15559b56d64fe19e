import type { Logger } from "pino";

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143 } as const;

/**
 * The first SIGINT or SIGTERM aborts the returned signal (an orderly stop); a second one exits at once. If the
 * orderly stop has not ended `graceMs` after the first signal, the process says so and exits with status 1.
 */
export function stopOnSignals(log: Logger, graceMs: number): { signal: AbortSignal } {
  const stop = new AbortController();
  const onSignal = (sig: keyof typeof EXIT_CODES): void => {
    if (stop.signal.aborted) {
      log.warn({ signal: sig }, "second signal: exiting now");
      process.exit(EXIT_CODES[sig]);
    }
    log.info({ signal: sig, graceMs }, "stopping; a second signal exits at once");
    stop.abort();
    setTimeout(() => {
      log.error({ graceMs }, "did not stop in time; exiting");
      process.exit(1);
    }, graceMs).unref();
  };
  for (const sig of ["SIGTERM", "SIGINT"] as const) process.on(sig, () => onSignal(sig));
  return { signal: stop.signal };
}

/**
 * Called when a command's agents have stopped: the process ends now even if something is still open (the NATS client
 * leaks the socket of an attempt that timed out against a server that accepted but never answered), and says what.
 */
export function exitWhenStopped(log: Logger): void {
  setTimeout(() => {
    log.warn({ open: process.getActiveResourcesInfo() }, "stopped, but something is still open; exiting");
    process.exit();
  }, 1_000).unref();
}
