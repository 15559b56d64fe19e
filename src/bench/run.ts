#!/usr/bin/env node
import { failoverBench } from "./failover.js";
import { replayBench } from "./replay.js";
import { arpFloodBench } from "./arpFlood.js";
import { rollingRestartBench } from "./rollingRestart.js";
import { report, type BenchResult } from "./report.js";

const benches: Record<string, (args: string[]) => Promise<BenchResult>> = {
  replay: replayBench,
  audit: (args) => import("./audit.js").then((m) => m.auditBench(args)),
  failover: failoverBench,
  "arp-flood": arpFloodBench,
  "rolling-restart": rollingRestartBench,
  ipam: (args) => import("./ipam.js").then((m) => m.ipamBench(args)),
  "bgp-scale": (args) => import("./bgpScale.js").then((m) => m.bgpScaleBench(args)),
  "bgp-change": (args) => import("./bgpChange.js").then((m) => m.bgpChangeBench(args)),
  "create-to-reachable": (args) => import("./createToReachable.js").then((m) => m.createToReachableBench(args)),
  "member-detect": (args) => import("./memberDetect.js").then((m) => m.memberDetectBench(args)),
  "bfd-detect": (args) => import("./bfdDetect.js").then((m) => m.bfdDetectBench(args)),
  scale: (args) => import("./scale/scaleBench.js").then((m) => m.scaleBench(args)),
  "config-sizes": (args) => import("./configSizes.js").then((m) => m.configSizesBench(args)),
  install: () => import("./install.js").then((m) => m.installBench()),
  "token-renewal": (args) => import("./tokenRenewal.js").then((m) => m.tokenRenewalBench(args)),
  attacks: () => import("./attacks.js").then((m) => m.attacksBench()),
  "speaker-memory": (args) => import("./speakerMemory.js").then((m) => m.speakerMemoryBench(args)),
  "kube-requests": (args) => import("./kubeRequests.js").then((m) => m.kubeRequestsBench(args)),
};

const [name, ...args] = process.argv.slice(2);
if (!name || !(name in benches)) {
  process.stderr.write(`usage: npm run bench -- <name> [options]\nbenchmarks: ${Object.keys(benches).join(", ")}\n`);
  process.exit(2);
}
const bench = benches[name];
if (bench) report(await bench(args));
