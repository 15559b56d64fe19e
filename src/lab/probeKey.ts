// One fencing probe key per lab run, in the run's directory (removed with it), shared by every speaker of the run.
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const LAB_PROBE_KEY_ID = 1;

/** The key file of this run, written on first use: "1 <32 random bytes, base64>". */
function labProbeKeyFile(runDir: string): string {
  const file = join(runDir, "probe-keys");
  if (!existsSync(file)) writeFileSync(file, `${LAB_PROBE_KEY_ID} ${randomBytes(32).toString("base64")}\n`, { mode: 0o600 });
  return file;
}

/** The speaker arguments that give it this run's probe key. */
export const labProbeKeyArgs = (runDir: string): string[] => ["--probe-key-file", labProbeKeyFile(runDir)];
