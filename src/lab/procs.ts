// Long-running processes inside lab namespaces: started with `ip netns exec`, tracked, line-split, logged, killed.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { inNs, sleep } from "./run.js";
import type { LabLogger, LabRole, ProcExit, ProcHandle, SpawnOptions } from "./types.js";

/** Splits a stream of text chunks into lines. */
function lineSplitter(onLine: (line: string) => void): { push(chunk: string): void; end(): void } {
  let buf = "";
  return {
    push(chunk) {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        onLine(buf.slice(0, i).replace(/\r$/, ""));
        buf = buf.slice(i + 1);
      }
    },
    end() {
      if (buf !== "") onLine(buf);
      buf = "";
    },
  };
}

export class ProcessTracker {
  private readonly procs = new Set<ProcHandle>();
  private counter = 0;

  constructor(
    private readonly logDir: string,
    private readonly log: LabLogger,
  ) {}

  spawn(role: LabRole, nsName: string, argv: readonly string[], opts: SpawnOptions = {}): ProcHandle {
    const base = opts.name ?? `${role}-${(argv[0] ?? "proc").split("/").pop() ?? "proc"}`;
    const name = `${base}-${++this.counter}`;
    const logFile = createWriteStream(join(this.logDir, `${name}.log`), { flags: "a" });
    logFile.on("error", () => undefined);
    const full = inNs(nsName, argv);
    const child = spawn(full[0] ?? "ip", full.slice(1), {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, ...opts.env },
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
    });
    let running = true;
    let resolveExit!: (e: ProcExit) => void;
    const exited = new Promise<ProcExit>((r) => (resolveExit = r));
    const out = lineSplitter((line) => {
      logFile.write(`${line}\n`);
      opts.onLine?.(line);
    });
    const err = lineSplitter((line) => {
      logFile.write(`[stderr] ${line}\n`);
      opts.onStderrLine?.(line);
    });
    child.stdout.setEncoding("utf8").on("data", (d: string) => out.push(d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => err.push(d));
    let exitInfo: ProcExit = { code: null, signal: null };
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      out.end();
      err.end();
      logFile.end(`[exit] code=${exitInfo.code} signal=${exitInfo.signal}\n`);
      this.procs.delete(handle);
      resolveExit(exitInfo);
    };
    child.on("exit", (code, signal) => {
      running = false;
      exitInfo = { code, signal };
      // 'close' waits for stdio to drain; don't hang forever if a grandchild keeps the pipes open.
      setTimeout(finish, 1000).unref();
    });
    child.on("close", finish);
    child.on("error", (e) => {
      running = false;
      this.log.warn({ err: e.message, argv: full }, "lab: spawn failed");
      finish();
    });
    const pid = child.pid ?? -1;
    const handle: ProcHandle = {
      name,
      role,
      pid,
      exited,
      get running() {
        return running;
      },
      kill(signal: NodeJS.Signals = "SIGTERM") {
        if (running && pid > 0) {
          try {
            process.kill(pid, signal);
          } catch {
            /* gone */
          }
        }
      },
      async stop(graceMs = 2000) {
        handle.kill("SIGTERM");
        const t = await Promise.race([exited, sleep(graceMs).then(() => undefined)]);
        if (t !== undefined) return t;
        handle.kill("SIGKILL");
        return exited;
      },
    };
    this.procs.add(handle);
    this.log.debug({ name, role, pid, argv }, "lab: spawned");
    return handle;
  }

  get running(): ProcHandle[] {
    return [...this.procs].filter((p) => p.running);
  }

  /** SIGTERM everything, SIGKILL what is still there after `graceMs`. */
  async stopAll(graceMs = 2000): Promise<void> {
    await Promise.all([...this.procs].map((p) => p.stop(graceMs)));
  }

  /** For exit handlers: SIGKILL everything at once, synchronously. */
  killAllSync(): void {
    for (const p of this.procs) p.kill("SIGKILL");
  }
}
