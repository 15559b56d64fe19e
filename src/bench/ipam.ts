import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { ClusterConfig, PoolConfig, ServiceConfig } from "../config/types.js";
import { subjects } from "../events/subjects.js";
import type { EventMeta, LogEvent } from "../events/types.js";
import { applyLogBatch, unfrozenImmer, type LogEntry } from "../projections/batch.js";
import { claimEvent } from "../projections/ipam/claims.js";
import { planIpam } from "../projections/ipam/plan.js";
import { heldServices } from "../projections/ipam/state.js";
import { UsedIndex } from "../projections/ipam/usedIndex.js";
import { emptyLogState, type LogState } from "../projections/logState.js";
import { machineDescription, type BenchResult } from "./report.js";

// Allocation through the pure projection, the path an allocator runs: plan from the log state, turn the plan into
// claim events, apply them to the projection in consumer-sized batches (one immer produce each), plan again
// until nothing is left. No NATS: the figures are the allocator's own cost.

const BATCH = 1_000;

function service(i: number, namespaces: number, families: (4 | 6)[]): ServiceConfig {
  return {
    namespace: `ns${i % namespaces}`, name: `svc${i}`, labels: { app: `svc${i}` }, requestedIps: [], requestedPool: null, sharingKey: null,
    loadBalancerClass: null, ipFamilyPolicy: "SingleStack", ipFamilies: families, ports: [{ port: 443, protocol: "TCP" }],
    selector: { app: `svc${i}` }, externalTrafficPolicy: "Cluster", statusIps: [], readyEndpointNodes: [],
  };
}

function pool(name: string, addresses: string[], over: Partial<PoolConfig> = {}): PoolConfig {
  return { name, addresses, autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null, ...over };
}

/** Five pools as a cluster might have them: two pinned to namespaces by priority, three shared, one avoiding buggy IPs. */
function fivePools(): PoolConfig[] {
  const pinned = (priority: number, namespaces: string[]) => ({ serviceAllocation: { priority, namespaces, namespaceSelectors: [], serviceSelectors: [] } });
  return [
    pool("team-a", ["10.1.0.0/22"], pinned(1, ["ns0", "ns1"])),
    pool("team-b", ["10.2.0.0/23", "10.2.4.0-10.2.5.255"], pinned(2, ["ns2"])),
    pool("shared-1", ["10.3.0.0/22"], { avoidBuggyIPs: true }),
    pool("shared-2", ["10.4.0.0/21"]),
    pool("shared-3", ["10.5.0.0/19"]),
  ];
}

function configApplied(config: ClusterConfig): LogState {
  return applyLogBatch(emptyLogState(), [{ meta: { stream: "EVENTS", seq: 1, time: 1, subject: subjects.config("bench") }, event: { type: "ConfigApplied", data: { source: "bench", hash: "h", config } } }]);
}

type Run = { state: LogState; planMs: number; applyMs: number; plans: number };

/** Plan, apply in batches, repeat until the plan is empty. */
function allocateAll(start: LogState): Run {
  let state = start;
  const used = new UsedIndex();
  let planMs = 0;
  let applyMs = 0;
  for (let plans = 1; ; plans++) {
    let t = performance.now();
    const plan = planIpam(state, { lbClass: null }, used);
    planMs += performance.now() - t;
    if (plan.actions.length === 0) return { state, planMs, applyMs, plans };
    t = performance.now();
    const ctx = { allocator: "bench", configHash: "h", observedSeq: state.seq, lbClass: null };
    let seq = state.seq;
    const entries: LogEntry[] = plan.actions.map((a) => {
      const meta: EventMeta = { stream: "EVENTS", seq: ++seq, time: seq, subject: subjects.ipClaim(a.ip, ctx.allocator) };
      return { meta, event: claimEvent(a, ctx) as LogEvent };
    });
    for (let i = 0; i < entries.length; i += BATCH) state = applyLogBatch(state, entries.slice(i, i + BATCH), unfrozenImmer);
    applyMs += performance.now() - t;
  }
}

function gcFunction(): () => void {
  setFlagsFromString("--expose-gc");
  return runInNewContext("gc") as () => void;
}

function heapMb(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** Heap held by a configuration of `n` IPv6 Services and their allocations from `block`. */
function v6Run(n: number, block: string, gc: () => void): { run: Run; heapMb: number; configMb: number } {
  const base = heapMb(gc);
  const config: ClusterConfig = { pools: [pool("v6", [block])], l2Advertisements: [], nodes: [], namespaces: [], services: Array.from({ length: n }, (_, i) => service(i, 50, [6])) };
  const start = configApplied(config);
  const withConfig = heapMb(gc);
  const run = allocateAll(start);
  const total = heapMb(gc);
  const got = [...heldServices(run.state.ipam)].length;
  if (got !== n) throw new Error(`only ${got} of ${n} allocated from ${block}`);
  return { run, heapMb: total - base, configMb: withConfig - base };
}

function tenThousand(n: number): { ms: number; run: Run } {
  const services = Array.from({ length: n }, (_, i) => service(i, 50, [4]));
  const config: ClusterConfig = { pools: fivePools(), l2Advertisements: [], nodes: [], namespaces: [], services };
  allocateAll(configApplied({ ...config, services: services.slice(0, 500) })); // warm-up
  const start = configApplied(config);
  const t = performance.now();
  const run = allocateAll(start);
  const ms = performance.now() - t;
  if ([...heldServices(run.state.ipam)].length !== n) throw new Error("not every Service got an IP");
  return { ms, run };
}

export async function ipamBench(args: string[]): Promise<BenchResult> {
  const small = Number(args[0] ?? 10_000);
  const large = Number(args[1] ?? 100_000);
  const gc = gcFunction();
  const ten = tenThousand(small);
  const v64 = v6Run(large, "2001:db8:0:1::/64", gc);
  const v96 = v6Run(large, "2001:db8:0:2::/96", gc);
  const t = performance.now();
  planIpam(v64.run.state, { lbClass: null });
  const replanMs = performance.now() - t;
  return {
    name: "ipam",
    figures: {
      alloc_10k_ms: Math.round(ten.ms),
      alloc_10k_plan_ms: Math.round(ten.run.planMs),
      alloc_10k_apply_ms: Math.round(ten.run.applyMs),
      alloc_100k_v6_ms: Math.round(v64.run.planMs + v64.run.applyMs),
      alloc_100k_v6_plan_ms: Math.round(v64.run.planMs),
      alloc_100k_v6_apply_ms: Math.round(v64.run.applyMs),
      heap_mb_100k_v6: Number(v64.heapMb.toFixed(1)),
      heap_mb_100k_v6_config_only: Number(v64.configMb.toFixed(1)),
      heap_mb_100k_v6_from_96: Number(v96.heapMb.toFixed(1)),
      replan_100k_idle_ms: Math.round(replanMs),
    },
    settings: SETTINGS(small, large),
    machine: machineDescription(),
  };
}

const SETTINGS = (small: number, large: number): Record<string, unknown> => ({
  services_small: small,
  pools_small: "5 IPv4 pools (2 pinned by namespace priority, 1 avoidBuggyIPs, 3 shared), 50 namespaces",
  services_large: large,
  pool_large: "one IPv6 /64 (heap also measured with the same allocations from a /96: memory follows allocations, not pool size)",
  batch: BATCH,
  path: "planIpam -> IpAllocated events -> applyLogBatch (the allocator's immer instance, no autoFreeze) until the plan is empty; no NATS, no codec",
  heap: "heapUsed after GC with the config and projection alive, minus before",
});
