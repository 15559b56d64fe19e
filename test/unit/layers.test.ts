import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// Which part of the code may import which: the Kubernetes side (src/kube) is an input and a writer of status, never
// a part of the speaker, so it imports nothing from src/agents/speaker (issue 12: status renders what the speaker's
// announcers decided, handed over in-process, not a second copy of the speaker's view).

const root = resolve(import.meta.dirname, "../..");
const importsOf = (source: string): string[] => [...source.matchAll(/(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2] ?? "");
const tsUnder = (dir: string): string[] =>
  readdirSync(join(root, dir), { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts")).map((f) => join(root, dir, f));

/** The files under `dir` that import a module under `forbidden` (relative imports resolved). */
export function importersOf(files: readonly string[], forbidden: string): string[] {
  const target = join(root, forbidden) + "/";
  return files.filter((file) =>
    importsOf(readFileSync(file, "utf8")).some((spec) => spec.startsWith(".") && resolve(dirname(file), spec).startsWith(target)),
  ).map((f) => relative(root, f));
}

describe("layers", () => {
  it("src/kube imports nothing from src/agents/speaker", () => {
    const files = tsUnder("src/kube");
    expect(files.length).toBeGreaterThan(10);
    expect(importersOf(files, "src/agents/speaker")).toEqual([]);
  });

  it("the log host is the only part of src/agents that follows a stream (one connection, one view per process)", () => {
    const followers = tsUnder("src/agents").filter((f) => /\bfollowStream\b/.test(readFileSync(f, "utf8"))).map((f) => relative(root, f));
    // (Reading a stream up to a position and stopping, for replay, audit and the snapshot audit, is an adapter:
    // src/adapters/nats/readLog.ts.)
    expect(followers).toEqual(["src/agents/host/logHost.ts"]);
  });

  it("the check can fail: the speaker's own files import from src/agents/speaker", () => {
    expect(importersOf(tsUnder("src/agents/speaker"), "src/agents/speaker").length).toBeGreaterThan(0);
  });
});
