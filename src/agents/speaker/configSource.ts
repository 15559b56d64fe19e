import { readFile } from "node:fs/promises";
import { checkManifests, ConfigError } from "../../config/parseManifests.js";
import type { ClusterConfig } from "../../config/types.js";
import { hashConfig } from "../../config/hashConfig.js";

/** A configuration as a source read it; `removesEverything`: the source explicitly asks to remove every object. */
export type SourcedConfig = { config: ClusterConfig; hash: string; removesEverything: boolean };

/** Where configuration comes from. The file source reads MetalLB-shaped YAML. */
export interface ConfigSource {
  /** The source's name on the log (its config subject). */
  readonly name: string;
  /** Where it reads from, for messages (a file's path). */
  readonly where: string;
  /** The current configuration; a ConfigFileError when it cannot be read, a ConfigError naming every bad field. */
  read(): Promise<SourcedConfig>;
}

export class ConfigFileError extends Error {
  constructor(
    readonly code: "CONFIG_FILE_MISSING" | "CONFIG_FILE_UNREADABLE",
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

export { hashConfig };

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new ConfigFileError("CONFIG_FILE_MISSING", path, `configuration file ${path} does not exist`);
    throw new ConfigFileError("CONFIG_FILE_UNREADABLE", path, `configuration file ${path} cannot be read: ${code ?? (err as Error).message}`);
  }
}

/**
 * The file, parsed again only when its text changed: agents read it every --config-poll (2 s), and parsing 10,000
 * Services (2.2 MB of YAML) took 1.1-1.6 s of CPU and ~100 MB of garbage each time, in every speaker and allocator.
 */
export function fileConfigSource(path: string): ConfigSource {
  let last: { text: string; read: SourcedConfig } | null = null;
  return {
    name: "file",
    where: path,
    async read() {
      const text = await readText(path);
      if (last?.text === text) return last.read;
      const { config, problems, removesEverything } = checkManifests(text);
      if (problems.length > 0) throw new ConfigError(problems);
      const read = { config, hash: hashConfig(config), removesEverything };
      last = { text, read };
      return read;
    },
  };
}
