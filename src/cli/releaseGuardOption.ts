import { InvalidArgumentError, type Command } from "commander";
import { DEFAULT_RELEASE_GUARD, type ReleaseGuardSettings } from "../projections/ipam/releaseGuard.js";

// --max-release-share, on every command that publishes configuration (a --config file, or the Kubernetes ingest).

export function addReleaseGuardOption(cmd: Command): Command {
  return cmd.option(
    "--max-release-share <percent>",
    "hold (report, do not publish) a configuration change that would release more than this share of the current IP allocations; 100 turns the guard off",
    String(DEFAULT_RELEASE_GUARD.maxSharePercent),
  );
}

export function releaseGuardFromOptions(o: Record<string, string | undefined>): ReleaseGuardSettings {
  const text = o["maxReleaseShare"] ?? String(DEFAULT_RELEASE_GUARD.maxSharePercent);
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 100) throw new InvalidArgumentError(`--max-release-share must be a whole percentage from 0 to 100, got "${text}"`);
  return { maxSharePercent: value };
}
