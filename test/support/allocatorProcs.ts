import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { vipmeshCliPath } from "../../src/lab/paths.js";
import type { NatsServer } from "../../src/testing/localNatsServer.js";

// Allocator replicas as real child processes of the compiled CLI (npm run build first), with their JSON log lines.

export type AllocatorProc = { id: string; child: ChildProcess; lines: Record<string, unknown>[]; exited: Promise<number | null> };

/** Connects as the server's `allocator` user (TLS and password from the server's per-run kit). */
export function startAllocator(nats: Pick<NatsServer, "url" | "cliArgs">, id: string, extra: string[] = []): AllocatorProc {
  const cli = vipmeshCliPath();
  if (!existsSync(cli)) throw new Error(`${cli} not found: run npm run build first`);
  const child = spawn(process.execPath, [cli, "allocator", "--nats", nats.url, ...nats.cliArgs("allocator"), "--id", id, "--replan", "200", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  return trackProc(id, child);
}

/** Collects a child's JSON log lines (stdout) and stderr chunks as they come. */
export function trackProc(id: string, child: ChildProcess): AllocatorProc {
  const lines: Record<string, unknown>[] = [];
  let buffer = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => lines.push({ msg: "stderr", text: chunk }));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { id, child, lines, exited };
}

export async function stopAllocator(p: AllocatorProc, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  await p.exited;
}

export const has = (p: AllocatorProc, msg: string): boolean => p.lines.some((l) => l["msg"] === msg);
export const count = (p: AllocatorProc, msg: string): number => p.lines.filter((l) => l["msg"] === msg).length;

export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
