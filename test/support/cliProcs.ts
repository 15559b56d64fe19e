import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { vipmeshCliPath } from "../../src/lab/paths.js";

// The compiled CLI (npm run build first) as a child process, with its raw output lines kept as written.

export type CliProc = {
  child: ChildProcess;
  /** stdout lines as written (JSON log lines for the agents). */
  out: string[];
  err: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
};

export function runCli(args: string[]): CliProc {
  const cli = vipmeshCliPath();
  if (!existsSync(cli)) throw new Error(`${cli} not found: run npm run build first`);
  const child = spawn(process.execPath, [cli, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  const proc: CliProc = {
    child,
    out: [],
    err: [],
    exited: new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal, at: Date.now() }))),
  };
  collectLines(child.stdout, proc.out);
  collectLines(child.stderr, proc.err);
  return proc;
}

function collectLines(stream: NodeJS.ReadableStream | null, into: string[]): void {
  let buffer = "";
  stream?.setEncoding("utf8");
  stream?.on("data", (chunk: string) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf("\n")) >= 0) {
      into.push(buffer.slice(0, i));
      buffer = buffer.slice(i + 1);
    }
  });
  stream?.on("end", () => {
    if (buffer !== "") into.push(buffer);
  });
}

/** The JSON log lines among `lines` (others are skipped). */
export function jsonLines(lines: string[]): Record<string, unknown>[] {
  const parsed: Record<string, unknown>[] = [];
  for (const line of lines) {
    try {
      parsed.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // not a log line
    }
  }
  return parsed;
}

/** Sends `signal` and waits for the exit; the result carries how long that took. */
export async function stopCli(p: CliProc, signal: NodeJS.Signals = "SIGTERM"): Promise<{ code: number | null; ms: number }> {
  const sent = Date.now();
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill(signal);
  const exit = await p.exited;
  return { code: exit.code, ms: exit.at - sent };
}

/**
 * The keys that occur more than once at the top level of one JSON object text. JSON.parse keeps only the last of
 * a repeated key, so this reads the text itself.
 */
export function repeatedTopLevelKeys(text: string): string[] {
  const seen = new Set<string>();
  const repeated: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      if (depth === 1 && expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (seen.has(key)) repeated.push(key);
        seen.add(key);
        expectKey = false;
      }
      i = end;
    } else if (c === "{" || c === "[") {
      depth++;
      expectKey = depth === 1;
    } else if (c === "}" || c === "]") {
      depth--;
    } else if (c === "," && depth === 1) {
      expectKey = true;
    }
  }
  return repeated;
}

function stringEnd(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === "\\") i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}
