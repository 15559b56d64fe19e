// Where the lab finds its helper scripts and the nats-server binary, from TS sources (vitest) and dist/ alike.
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Pinned nats-server version; keep in step with NATS_VERSION in scripts/setup.sh. */
export const NATS_SERVER_VERSION = "v2.15.2";

/** Absolute path of a plain-JS helper in scripts/lab/ (src/lab/*.ts and dist/lab/*.js are both two levels down). */
export function labScript(name: "backend.mjs" | "prober.mjs" | "tcp-pipe.mjs" | "arp-flood.mjs" | "probe-attacker.mjs" | "member-prober.mjs" | "rootfs-exec.sh"): string {
  return fileURLToPath(new URL(`../../scripts/lab/${name}`, import.meta.url));
}

/** `$VIPMESH_NATS_SERVER`, else the binary scripts/setup.sh builds under ~/.cache/vipmesh. */
export function natsServerPath(): string {
  const fromEnv = process.env["VIPMESH_NATS_SERVER"];
  if (fromEnv) return fromEnv;
  return join(homedir(), ".cache", "vipmesh", `nats-server-${NATS_SERVER_VERSION}`, "bin", "nats-server");
}

export function requireFile(path: string, hint: string): string {
  if (!existsSync(path)) throw new Error(`lab: ${path} not found (${hint})`);
  return path;
}

/** Compiled CLI entry (`npm run build` first): repo/dist/cli/main.js, resolved from src/lab and dist/lab alike. */
export function vipmeshCliPath(): string {
  return fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
}

/** argv prefix that runs the compiled vipmesh CLI with this Node: `[node, dist/cli/main.js]`. */
export function vipmeshArgv(...args: string[]): string[] {
  return [process.execPath, vipmeshCliPath(), ...args];
}
