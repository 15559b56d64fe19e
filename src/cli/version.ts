import { readFileSync } from "node:fs";

export const VERSION: string = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** The git commit this build was made from: dist/build-info.json, written by scripts/build-info.mjs when one is known. */
function buildRevision(): string | undefined {
  try {
    const info = JSON.parse(readFileSync(new URL("../build-info.json", import.meta.url), "utf8")) as { revision?: unknown };
    return typeof info.revision === "string" && info.revision !== "" ? info.revision : undefined;
  } catch {
    return undefined;
  }
}

/** What `vipmesh --version` prints: `0.1.0 (commit 955d5be…)`, or the version alone when no commit is known. */
export function versionLine(revision: string | undefined = buildRevision()): string {
  return revision === undefined ? VERSION : `${VERSION} (commit ${revision})`;
}
