// The compiled Node-API addons (native/*.c, built to build/native/<name>.node by `npm run build`). Paths resolve
// relative to this file, three levels up, so they hold for src/ under vitest and dist/ alike.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

export type AddonName = "afpacket" | "bgpsock" | "bfdsock";

export function addonPath(name: AddonName): string {
  return fileURLToPath(new URL(`../../../build/native/${name}.node`, import.meta.url));
}

export class AddonMissingError extends Error {
  override readonly name = "AddonMissingError";
  readonly code = "ERR_ADDON_MISSING";

  constructor(readonly path: string) {
    super(`native addon not found at ${path}: run \`npm run build\` (or \`node scripts/build-native.mjs\`) first`);
  }
}

const loaded = new Map<string, unknown>();

/** Loads (once per path) a compiled addon; throws AddonMissingError when it has not been built. */
export function loadAddon<T>(path: string): T {
  const cached = loaded.get(path);
  if (cached !== undefined) return cached as T;
  if (!existsSync(path)) throw new AddonMissingError(path);
  const addon = createRequire(import.meta.url)(path) as T;
  loaded.set(path, addon);
  return addon;
}
