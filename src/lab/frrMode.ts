// Speakers with --bgp-backend frr in the lab: their FRR directories go under one directory of this run, named like the
// run's own, so a run killed before its speakers could remove them is swept at the next start (naming.ts). FRR's
// daemons run as the frr user, so the directory is world-traversable (0755), unlike the run directory.
import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newRunPrefix, RUN_DIR_PREFIX } from "./naming.js";

export function frrModeArgs(): string[] {
  const dir = mkdtempSync(join(tmpdir(), `${RUN_DIR_PREFIX}${newRunPrefix()}frrmode-`));
  chmodSync(dir, 0o755);
  return ["--bgp-backend", "frr", "--frr-dir", dir];
}
