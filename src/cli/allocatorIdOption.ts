import { hostname } from "node:os";
import { Option, type Command } from "commander";
import { SubjectError, toToken } from "../events/subjects.js";

// An allocator's identity is the last token of every subject it claims on (`vipmesh.ev.ip.<ip>.<allocator>`), and
// its NATS user may publish only there. So it must be stable across restarts: the host name (a pod's name), not a pid.

export function addAllocatorIdOption(cmd: Command): Command {
  return cmd
    .addOption(
      new Option("--allocator-id <name>", "this allocator's identity: the last token of its claim subjects, which its NATS user must be allowed (default: the host or pod name)")
        .env("VIPMESH_ALLOCATOR_ID"),
    )
    .addOption(new Option("--id <name>", "former name of --allocator-id").hideHelp());
}

export class AllocatorIdError extends Error {
  readonly code = "INVALID_ALLOCATOR_ID";
}

export function allocatorIdFromOptions(o: Record<string, string | undefined>, host: string = hostname()): string {
  const id = o["allocatorId"] ?? o["id"] ?? host;
  try {
    toToken(id);
  } catch (err) {
    if (!(err instanceof SubjectError)) throw err;
    throw new AllocatorIdError(`--allocator-id "${id}" cannot be a subject token (no spaces, "*", ">" or "_"); give one with --allocator-id or $VIPMESH_ALLOCATOR_ID`);
  }
  return id;
}
