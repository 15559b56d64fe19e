#!/usr/bin/env node
import { Command } from "commander";
import { allocatorCommand } from "./allocatorCommand.js";
import { auditCliCommand } from "./auditCommand.js";
import { calloutKeysCommand } from "./calloutKeysCommand.js";
import { controllerCommand } from "./controllerCommand.js";
import { ipamStatusCommand } from "./ipamStatusCommand.js";
import { labCommand } from "./labCommand.js";
import { logCliCommand } from "./logExportCommand.js";
import { replayCliCommand } from "./replayCommand.js";
import { speakerCommand } from "./speakerCommand.js";
import { statusCliCommand } from "./statusCommand.js";
import { validateCommand } from "./validateCommand.js";
import { versionLine } from "./version.js";

const program = new Command("vipmesh")
  .description(
    "Load balancer for bare-metal Kubernetes, configured like MetalLB.\n" +
      "Speakers publish heartbeats and claims to NATS JetStream; every agent replays that log to decide who answers for each VIP.\n\n" +
      "Start here:\n" +
      "  vipmesh lab                       build a lab of network namespaces, show a failover, tear it down (root)\n" +
      "  vipmesh speaker --node n1 --nats nats://host:4222 --config pools.yaml --probe-key-file keys\n" +
      "  vipmesh allocator --nats nats://host:4222      allocate Service IPs (any number of replicas)\n" +
      "  vipmesh status --nats nats://host:4222   nodes, VIP owners, pools, BGP sessions and problems (exit 1 on a problem)\n" +
      "  vipmesh replay --nats nats://host:4222   explain every ownership change in the log\n" +
      "  vipmesh audit --nats nats://host:4222    check the log against vipmesh's invariants (or --from an export)\n" +
      "  vipmesh validate -f pools.yaml            check a configuration: every error and warning, by object and field",
  )
  .version(versionLine())
  .showHelpAfterError();

program.addCommand(speakerCommand());
program.addCommand(allocatorCommand());
program.addCommand(controllerCommand());
program.addCommand(calloutKeysCommand());
program.addCommand(statusCliCommand());
program.addCommand(ipamStatusCommand());
program.addCommand(validateCommand());
program.addCommand(replayCliCommand());
program.addCommand(auditCliCommand());
program.addCommand(logCliCommand());
program.addCommand(labCommand());

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Bad input is reported as what was wrong and where, not as a stack trace.
  const e = err as Error & { code?: string };
  process.stderr.write(`vipmesh: ${e.message}${e.code ? ` (${e.code})` : ""}\n`);
  // Exit now: a command that failed may leave sockets or a reconnecting client open that would keep it alive.
  process.exit(2);
}
