import { InvalidArgumentError, Option, type Command } from "commander";
import type { Logger } from "pino";
import { WatchedProbeKeys } from "../adapters/probe/probeKeyFile.js";
import { INSECURE_PROBE_KEYRING, type ProbeKeyring } from "../protocols/fence/probeKeys.js";

export type ProbeKeySource = { keys: () => ProbeKeyring; close: () => void };

export function addProbeKeyOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--probe-key-file <file>", "keys that sign the fencing probes, one \"<id> <base64 secret>\" a line, the first one sending (a mounted Secret; re-read on change)").env("VIPMESH_PROBE_KEY_FILE"))
    .option("--insecure-probes", "run the fencing probes without a key: anyone who can send UDP to this node can then make it stop answering, or keep it answering while cut off");
}

/** The probe keys the options name; a speaker with neither a key file nor --insecure-probes does not start. */
export function probeKeysFromOptions(o: Record<string, string | boolean | undefined>, log: Logger): ProbeKeySource {
  const file = o["probeKeyFile"];
  if (typeof file === "string" && file !== "" && o["insecureProbes"]) {
    throw new InvalidArgumentError("--probe-key-file and --insecure-probes exclude each other: give one");
  }
  if (typeof file === "string" && file !== "") {
    const watched = new WatchedProbeKeys(file, log);
    return { keys: () => watched.keyring, close: () => watched.close() };
  }
  if (o["insecureProbes"]) {
    log.warn("fencing probes are not authenticated (--insecure-probes): anyone on the network can make this speaker fence itself or keep it answering");
    return { keys: () => INSECURE_PROBE_KEYRING, close: () => undefined };
  }
  throw new InvalidArgumentError(
    "no key for the fencing probes: give --probe-key-file (or VIPMESH_PROBE_KEY_FILE), a file of \"<id> <base64 secret>\" lines " +
      "(e.g. echo \"1 $(openssl rand -base64 32)\"), the same on every speaker; or --insecure-probes to run them unauthenticated",
  );
}
