// Running short host commands (ip, nft, sysctl ...) and collecting their output.
import { spawn, spawnSync } from "node:child_process";
import type { ExecOptions, ExecResult } from "./types.js";

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly code: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`command failed (exit ${code ?? "signal"}): ${argv.join(" ")}${stderr ? `\n${stderr.trim()}` : ""}`);
    this.name = "CommandError";
  }
}

/** Runs argv (no shell) and resolves with its output; rejects with CommandError on a non-zero exit. */
export function run(argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult & { code: number | null }> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error("run: empty argv"));
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n[timed out after ${opts.timeoutMs ?? 30_000} ms]`;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 30_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0 && !opts.allowFail) reject(new CommandError(argv, code, stdout, stderr));
      else resolve({ stdout, stderr, code });
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(opts.input ?? "");
  });
}

/** Synchronous variant for exit handlers (where nothing asynchronous runs any more). Never throws. */
export function runSync(argv: readonly string[], timeoutMs = 10_000): { code: number | null; stdout: string } {
  const [file, ...args] = argv;
  if (file === undefined) return { code: null, stdout: "" };
  const r = spawnSync(file, args, { encoding: "utf8", timeout: timeoutMs, stdio: ["ignore", "pipe", "pipe"] });
  return { code: r.status, stdout: r.stdout ?? "" };
}

/** The argv that runs `argv` inside network namespace `nsName`. */
export function inNs(nsName: string, argv: readonly string[]): string[] {
  return ["ip", "netns", "exec", nsName, ...argv];
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a non-undefined value or `timeoutMs` passes (then throws with `what`). */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}
