import { createHash } from "node:crypto";
import type { ClusterConfig } from "./types.js";

/** A configuration's content hash: equal configurations hash alike, whatever source read them. */
export function hashConfig(config: ClusterConfig): string {
  return createHash("sha256").update(JSON.stringify(config)).digest("hex").slice(0, 32);
}
