import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { parseManifests } from "../../config/parseManifests.js";
import type { ClusterConfig } from "../../config/types.js";

/** Where configuration comes from. The file source reads MetalLB-shaped YAML; Kubernetes comes later behind the same shape. */
export interface ConfigSource {
  readonly name: string;
  /** The current configuration, or a ConfigError naming every bad field. */
  read(): Promise<{ config: ClusterConfig; hash: string }>;
}

export function hashConfig(config: ClusterConfig): string {
  return createHash("sha256").update(JSON.stringify(config)).digest("hex").slice(0, 32);
}

export function fileConfigSource(path: string): ConfigSource {
  return {
    name: "file",
    async read() {
      const config = parseManifests(await readFile(path, "utf8"));
      return { config, hash: hashConfig(config) };
    },
  };
}
