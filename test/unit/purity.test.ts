import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

// The pure core (events, projections, config, net, protocol codecs and state machines) may not reach
// sockets, NATS, Kubernetes, timers, the wall clock or randomness: time and randomness come in as arguments.

const root = resolve(import.meta.dirname, "../..");
const PURE_DIRS = ["src/events", "src/projections", "src/config", "src/net", "src/protocols", "src/logfile"];
const ALLOWED_PACKAGES = new Set(["immer", "zod", "yaml"]);
const FORBIDDEN_CALLS = [/Date\.now\(/, /new Date\(/, /setTimeout\(/, /setInterval\(/, /setImmediate\(/, /Math\.random\(/, /performance\.now\(/, /process\.hrtime/];

function filesUnder(dir: string): string[] {
  const abs = join(root, dir);
  try {
    statSync(abs);
  } catch {
    return [];
  }
  return readdirSync(abs, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(abs, f));
}

// A hash is a pure function of its input: createHash may come in, randomness (randomBytes, randomUUID) may not.
const onlyHashing = (source: string): boolean =>
  [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*["']node:crypto["']/g)].every((m) => (m[1] ?? "").split(",").every((n) => n.trim() === "createHash"))
  && !/import\s+\*\s+as\s+\w+\s+from\s+["']node:crypto["']/.test(source) && !/import\s+\w+\s+from\s+["']node:crypto["']/.test(source);

const isPure = (abs: string): boolean => PURE_DIRS.some((d) => abs.startsWith(join(root, d) + "/"));
const importsOf = (source: string): string[] => [...source.matchAll(/(?:import|export)[^'"]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? m[2] ?? "");

describe("the pure core stays pure", () => {
  const files = PURE_DIRS.flatMap(filesUnder);

  it("has files to check", () => {
    expect(files.length).toBeGreaterThan(10);
  });

  it.each(files.map((f) => [relative(root, f), f]))("%s imports only pure modules and allowed packages", (_name, file) => {
    const source = readFileSync(file, "utf8");
    const problems: string[] = [];
    for (const spec of importsOf(source)) {
      if (spec.startsWith(".")) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, ".ts"));
        if (!isPure(target)) problems.push(`imports impure module ${relative(root, target)}`);
      } else if (spec === "node:crypto") {
        if (!onlyHashing(source)) problems.push("imports from node:crypto more than createHash");
      } else if (!ALLOWED_PACKAGES.has(spec)) {
        problems.push(`imports ${spec}`);
      }
    }
    const code = source.replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
    for (const pattern of FORBIDDEN_CALLS) if (pattern.test(code)) problems.push(`calls ${pattern.source.replaceAll("\\", "")}`);
    expect(problems).toEqual([]);
  });

  it("catches an impure import (the check itself can fail)", () => {
    expect(importsOf('import { connect } from "@nats-io/transport-node";')).toEqual(["@nats-io/transport-node"]);
    expect(FORBIDDEN_CALLS.some((p) => p.test("const t = Date.now();"))).toBe(true);
    expect(onlyHashing('import { createHash } from "node:crypto";')).toBe(true);
    expect(onlyHashing('import { createHash, randomBytes } from "node:crypto";')).toBe(false);
    expect(onlyHashing('import * as c from "node:crypto";')).toBe(false);
  });
});
