// Per-run namespace names (`vml<pid>-<rand4>-<role>`) and the sweep that removes what dead runs left behind.
import { randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./run.js";
import type { LabLogger, LabRole } from "./types.js";

const PREFIX_RE = /^vml(\d+)-([0-9a-z]{4})-/;
export const RUN_DIR_PREFIX = "vipmesh-lab-";

/** A fresh run prefix such as `vml12345-k3x9-` (creator pid + 4 random chars). */
export function newRunPrefix(pid = process.pid): string {
  const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
  const rand = [...randomBytes(4)].map((b) => alphabet[b % alphabet.length]).join("");
  return `vml${pid}-${rand}-`;
}

export function nsName(prefix: string, role: LabRole): string {
  return `${prefix}${role}`;
}

/** The creator pid encoded in a lab namespace (or run dir) name, or undefined for foreign names. */
export function creatorPid(name: string): number | undefined {
  const m = PREFIX_RE.exec(name.startsWith(RUN_DIR_PREFIX) ? name.slice(RUN_DIR_PREFIX.length) : name);
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

/** True when a process with this pid exists (EPERM counts as alive). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** All network namespace names on the host (`ip netns list`). */
export async function listNamespaces(): Promise<string[]> {
  const { stdout } = await run(["ip", "netns", "list"]);
  return parseNetnsList(stdout);
}

export function parseNetnsList(out: string): string[] {
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/)[0] ?? "")
    .filter((n) => n !== "");
}

/** Kills whatever still runs inside `ns` and deletes it. Never throws. */
export async function deleteNamespace(ns: string): Promise<void> {
  const pids = await run(["ip", "netns", "pids", ns], { allowFail: true });
  for (const p of pids.stdout.split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(p), "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  await run(["ip", "netns", "del", ns], { allowFail: true });
}

/**
 * Deletes lab namespaces (and temp run dirs) whose creator pid is no longer alive.
 * Only names of the form `vml<pid>-<rand4>-...` are ever touched. Returns the namespaces removed.
 */
export async function sweepStaleNamespaces(log?: LabLogger): Promise<string[]> {
  const stale = (await listNamespaces()).filter((n) => {
    const pid = creatorPid(n);
    return pid !== undefined && !pidAlive(pid);
  });
  for (const ns of stale) await deleteNamespace(ns);
  if (stale.length > 0) log?.info({ namespaces: stale }, "lab: removed namespaces left by dead runs");
  try {
    for (const entry of readdirSync(tmpdir())) {
      const pid = entry.startsWith(RUN_DIR_PREFIX) ? creatorPid(entry) : undefined;
      if (pid !== undefined && !pidAlive(pid)) rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    }
  } catch {
    /* best effort */
  }
  return stale;
}
