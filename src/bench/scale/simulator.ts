#!/usr/bin/env node
// A process publishing the events of N simulated nodes as real speakers would: each node's interfaces on EVENTS when
// it joins, then a heartbeat per node every interval (not waiting for acks), spread evenly over the interval. For the
// scale benchmark and the readiness tests.
//   node dist/bench/scale/simulator.js --nats URL [nats flags] --nodes 200 [--interval 50] [--prefix sim]
import { Command, Option } from "commander";
import { jetstream } from "@nats-io/jetstream";
import { connectNats, DEFAULT_PING_INTERVAL_MS } from "../../adapters/nats/connect.js";
import { encodeEvent } from "../../events/codec.js";
import { subjects } from "../../events/subjects.js";
import { addNatsOptions, natsFromOptions } from "../../cli/natsOptions.js";
import { intOption } from "../../cli/options.js";
import { VERSION } from "../../cli/version.js";
import { publishEvent } from "../../adapters/nats/publish.js";
import { simulatedFacts, simulatedHeartbeat, simulatedNode, type SimulatedNode } from "./simulatedNodes.js";

const TICK_MS = 10;

type Counters = { published: number; unacknowledged: number };

function startBeating(js: ReturnType<typeof jetstream>, nodes: SimulatedNode[], intervalMs: number, counters: Counters): () => void {
  const slots = Math.max(1, Math.round(intervalMs / TICK_MS));
  const beats = new Map<string, number>();
  let tick = 0;
  const timer = setInterval(() => {
    const slot = tick++ % slots;
    for (let i = slot; i < nodes.length; i += slots) {
      const node = nodes[i];
      if (!node) continue;
      const beat = (beats.get(node.name) ?? 0) + 1;
      beats.set(node.name, beat);
      counters.published++;
      js.publish(subjects.heartbeat(node.name), encodeEvent(simulatedHeartbeat(node, beat, VERSION)), { timeout: intervalMs * 10 }).catch(() => counters.unacknowledged++);
    }
  }, TICK_MS);
  return () => clearInterval(timer);
}

const cmd = addNatsOptions(new Command("simulator"))
  .addOption(new Option("--nodes <n>", "simulated nodes").default("100"))
  .addOption(new Option("--interval <ms>", "heartbeat interval").default("50"))
  .addOption(new Option("--prefix <name>", "node name prefix").default("sim"))
  .action(async (o: Record<string, string | undefined>) => {
    const target = natsFromOptions(o, { role: "admin", id: null }); // beats as many nodes at once
    const nc = await connectNats({ servers: target.natsServers, security: target.natsSecurity, name: "vipmesh-simulator", pingIntervalMs: DEFAULT_PING_INTERVAL_MS });
    const incarnation = Date.now();
    const nodes = Array.from({ length: intOption(o, "nodes") }, (_, i) => simulatedNode(o["prefix"] ?? "sim", i + 1, incarnation));
    const counters: Counters = { published: 0, unacknowledged: 0 };
    const js = jetstream(nc);
    for (const node of nodes) {
      const r = await publishEvent(js, subjects.nodeLifecycle(node.name), simulatedFacts(node, VERSION));
      if (!r.ok) counters.unacknowledged++;
    }
    const stop = startBeating(js, nodes, intOption(o, "interval"), counters);
    process.stdout.write(`${JSON.stringify({ msg: "simulating", nodes: nodes.length })}\n`);
    const report = setInterval(() => process.stdout.write(`${JSON.stringify({ msg: "published", ...counters })}\n`), 5_000);
    const end = (): void => {
      stop();
      clearInterval(report);
      void nc.close().then(() => process.exit(0));
    };
    process.once("SIGTERM", end);
    process.once("SIGINT", end);
  });

await cmd.parseAsync(process.argv);
