#!/usr/bin/env node
import { Command } from "commander";
import { versionLine } from "./version.js";

// Each command's module is loaded only when it runs (all of them for help): a speaker does not hold the
// controller's, the lab's or the replay's code (docs/design.md, "Speaker memory").
const commands: Record<string, () => Promise<Command>> = {
  speaker: () => import("./speakerCommand.js").then((m) => m.speakerCommand()),
  allocator: () => import("./allocatorCommand.js").then((m) => m.allocatorCommand()),
  controller: () => import("./controllerCommand.js").then((m) => m.controllerCommand()),
  "nats-callout-keys": () => import("./calloutKeysCommand.js").then((m) => m.calloutKeysCommand()),
  status: () => import("./statusCommand.js").then((m) => m.statusCliCommand()),
  "ipam-status": () => import("./ipamStatusCommand.js").then((m) => m.ipamStatusCommand()),
  validate: () => import("./validateCommand.js").then((m) => m.validateCommand()),
  replay: () => import("./replayCommand.js").then((m) => m.replayCliCommand()),
  audit: () => import("./auditCommand.js").then((m) => m.auditCliCommand()),
  log: () => import("./logExportCommand.js").then((m) => m.logCliCommand()),
  lab: () => import("./labCommand.js").then((m) => m.labCommand()),
};

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

const named = process.argv[2];
for (const name of named !== undefined && Object.hasOwn(commands, named) ? [named] : Object.keys(commands)) {
  const load = commands[name];
  if (load) program.addCommand(await load());
}

try {
  await program.parseAsync(process.argv);
} catch (err) {
  // Bad input is reported as what was wrong and where, not as a stack trace.
  const e = err as Error & { code?: string };
  process.stderr.write(`vipmesh: ${e.message}${e.code ? ` (${e.code})` : ""}\n`);
  // Exit now: a command that failed may leave sockets or a reconnecting client open that would keep it alive.
  process.exit(2);
}
