// Process-wide safety net: every live lab is torn down on exit, SIGINT, SIGTERM and SIGHUP.
import { sleep } from "./run.js";

export interface Destroyable {
  /** Graceful, asynchronous teardown (used on signals). */
  destroy(): Promise<void>;
  /** Last-resort synchronous teardown (used from the 'exit' event). */
  destroySync(): void;
}

const live = new Set<Destroyable>();
let installed = false;
const SIGNALS: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

export function registerLab(lab: Destroyable): void {
  live.add(lab);
  install();
}

export function unregisterLab(lab: Destroyable): void {
  live.delete(lab);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", () => {
    for (const lab of [...live]) {
      try {
        lab.destroySync();
      } catch {
        /* keep going */
      }
    }
    live.clear();
  });
  for (const sig of SIGNALS) {
    const handler = (): void => {
      void (async () => {
        // Bounded: a hung teardown must not keep the process alive after a signal.
        await Promise.race([Promise.allSettled([...live].map((l) => l.destroy())), sleep(8000)]);
        for (const lab of [...live]) lab.destroySync();
        live.clear();
        // If nobody else handles this signal, re-raise it so the process ends as it would have.
        if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
      })();
    };
    process.once(sig, handler);
  }
}
