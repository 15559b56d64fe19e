import { resolve } from "node:path";
import { Command } from "commander";
import { pino } from "pino";
import { L2Cluster } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import { nodeRole } from "../lab/topology.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../projections/settings.js";
import { replayCommand } from "./replayCommand.js";

const VIP = "198.18.0.200";
// The first owner needs five processes started from cold at once (three speakers, two allocators), each loading the
// app, logging in over TLS and reading the log before the VIP is allocated and claimed: about 6 s at load 21 here,
// but over 15 s once in CI at load 14-23 (the demo then failed before showing anything). A demo waits for a slow start.
const FIRST_OWNER_WAIT_MS = 60_000;
const say = (text: string): void => void process.stdout.write(`${text}\n`);

/** The demo: a three-node lab, a VIP answered by one node, a node crash, the measured failover, its replay and its page. */
export function labCommand(): Command {
  return new Command("lab")
    .description("Build a lab of network namespaces (switch, NATS, client, 3 nodes), show a VIP failing over when its owner dies, replay the log, write its HTML timeline, tear down. Needs root.")
    .option("--nodes <n>", "number of nodes", "3")
    .option("--verbose", "print the lab's own log lines")
    .option("--html <file>", "where to write the HTML timeline of the failover", "vipmesh-lab-timeline.html")
    .action(async (o: { nodes: string; verbose?: boolean; html: string }) => {
      const unavailable = labUnavailableReason();
      if (unavailable) throw new Error(unavailable);
      const log = pino({ level: o.verbose ? "info" : "warn" });
      say(`building a lab with ${o.nodes} nodes (namespaces, switch, NATS, client)...`);
      const cluster = await L2Cluster.start({ nodes: Number(o.nodes), vips: [VIP], log });
      let page: string | null = null;
      try {
        await runDemo(cluster);
        page = await writePage(cluster, o.html);
      } finally {
        await cluster.destroy();
        say("lab torn down.");
      }
      say(`the failover, drawn: ${page} (open it in a browser; it needs no network)`);
    });
}

async function runDemo(cluster: L2Cluster): Promise<void> {
  const { lab } = cluster;
  say(`waiting for the speakers to start and one of them to answer for VIP ${VIP}...`);
  const owner = await cluster.waitForOwner(VIP, FIRST_OWNER_WAIT_MS);
  say(`VIP ${VIP} is answered by ${nodeRole(owner)} (MAC ${lab.nodeMac(owner)})`);
  const prober = lab.startProber({ url: `http://${VIP}/`, intervalMs: 20, timeoutMs: 500 });
  const first = await prober.waitForSuccess({ timeoutMs: 20_000 });
  say(`client fetched http://${VIP}/ -> served by ${first.node ?? "?"}`);
  await new Promise((r) => setTimeout(r, 1_000));
  say(`crashing ${nodeRole(owner)}: speaker killed with SIGKILL, cable pulled`);
  const crashedAt = await cluster.crashNode(owner);
  const recovered = await prober.waitForSuccess({ after: crashedAt, timeoutMs: 15_000 });
  const failoverMs = recovered.t + recovered.ms - crashedAt;
  say(`failover: first successful request ${failoverMs.toFixed(0)} ms after the crash, served by ${recovered.node ?? "?"}`);
  say(`failed probes during failover: ${prober.failuresBetween(crashedAt, recovered.t)}`);
  const next = await cluster.waitForOwner(VIP, 10_000, owner);
  say(`VIP ${VIP} is now answered by ${nodeRole(next)} (MAC ${lab.nodeMac(next)})`);
  await prober.stop();
  say("\nreplay of the log (vipmesh replay):");
  await replayCommand({ nats: [await lab.natsHostUrl()], security: lab.natsClient(), vip: null, json: false }, say);
}

/** The HTML timeline of the demo's log (vipmesh replay --html), written before the lab and its NATS are gone. */
async function writePage(cluster: L2Cluster, file: string): Promise<string> {
  const html = { file, settings: DEFAULT_MEMBERSHIP_SETTINGS };
  await replayCommand({ nats: [await cluster.lab.natsHostUrl()], security: cluster.lab.natsClient(), vip: null, json: false, html }, (line) => say(`\n${line}`));
  return resolve(file);
}
