import { InvalidArgumentError, type Command } from "commander";
import type { Logger } from "pino";
import type { LogSourceOptions } from "../agents/replay/logSource.js";
import type { NatsClientSecurity } from "../adapters/nats/security.js";

// `--from FILE`: the read-only tools read an export file (`vipmesh log export`) instead of NATS, through the same code.

export function addFromOption(cmd: Command): Command {
  return cmd.option("--from <file>", "read this log export file (vipmesh log export) instead of NATS");
}

/** The export file named by --from, if any; --from with an explicit --nats is refused (which one was meant?). */
export function fromFileOption(o: Record<string, unknown>, cmd: Command): string | null {
  const from = o["from"];
  if (typeof from !== "string") return null;
  if (from === "") throw new InvalidArgumentError("--from needs a file name");
  if (cmd.getOptionValueSource("nats") === "cli") throw new InvalidArgumentError("--from and --nats: give one place to read the log from, not two");
  return from;
}

type SourceInput = { nats: string[]; from?: string; security?: NatsClientSecurity; log?: Logger };

export function sourceOptions(opts: SourceInput, name: string, timeoutMs: number): LogSourceOptions {
  if (opts.from !== undefined) return { kind: "file", path: opts.from };
  return { kind: "nats", servers: opts.nats, name, timeoutMs, ...(opts.security ? { security: opts.security } : {}), ...(opts.log ? { log: opts.log } : {}) };
}
