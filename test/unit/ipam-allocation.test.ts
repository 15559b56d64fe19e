import { describe, expect, it } from "vitest";
import type { ClusterConfig, NamespaceConfig, PoolConfig, ServiceConfig } from "../../src/config/types.js";
import type { PendingReason } from "../../src/projections/ipam/plan.js";
import { ipamStatus } from "../../src/projections/ipam/status.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";
import { allocationsOf, MemoryLog, Replica } from "../support/ipamLog.js";

// The allocation rules as a table: a configuration (or a sequence of them, each converged before the next),
// and what every Service holds afterwards, or why it holds nothing. MetalLB's semantics unless noted.

type Step = { pools?: PoolConfig[]; services?: ServiceConfig[]; namespaces?: NamespaceConfig[] };
type Case = {
  name: string;
  steps: Step[];
  lbClass?: string;
  ips: Record<string, string[]>;
  pending?: Record<string, PendingReason[]>;
};

const v4 = pool("v4", ["198.18.0.0/30"]);
const dual = pool("dual", ["198.18.1.0/30", "2001:db8:1::/126"]);
const shared = (name: string, key: string, port: number, over: Partial<ServiceConfig> = {}): ServiceConfig =>
  service(name, { sharingKey: key, ports: [{ port, protocol: "TCP" }], ...over });

function run(c: Case): { replica: Replica; config: ClusterConfig } {
  const log = new MemoryLog();
  const replica = new Replica(log, "a1", { lbClass: c.lbClass ?? null });
  let config = clusterConfig();
  for (const step of c.steps) {
    config = { ...config, ...step };
    log.applyConfig(config);
    replica.converge();
  }
  return { replica, config };
}

const cases: Case[] = [
  // Pools: CIDRs, ranges, block order, avoidBuggyIPs, autoAssign, IPv6.
  { name: "a CIDR hands out its addresses in ascending order, network address included", steps: [{ pools: [v4], services: [service("a"), service("b")] }], ips: { "default/a": ["198.18.0.0"], "default/b": ["198.18.0.1"] } },
  {
    name: "a FIRST-LAST range; the Service past its end finds the pool exhausted",
    steps: [{ pools: [pool("r", ["198.18.0.10-198.18.0.11"])], services: [service("a"), service("b"), service("c")] }],
    ips: { "default/a": ["198.18.0.10"], "default/b": ["198.18.0.11"] },
    pending: { "default/c": ["pool-exhausted"] },
  },
  { name: "blocks are used in the order the pool lists them", steps: [{ pools: [pool("p", ["198.18.5.0/31", "198.18.0.0/31"])], services: [service("a"), service("b"), service("c")] }], ips: { "default/a": ["198.18.5.0"], "default/b": ["198.18.5.1"], "default/c": ["198.18.0.0"] } },
  {
    name: "avoidBuggyIPs skips .255 and .0",
    steps: [{ pools: [pool("p", ["198.18.0.254-198.18.1.1"], { avoidBuggyIPs: true })], services: [service("a"), service("b"), service("c")] }],
    ips: { "default/a": ["198.18.0.254"], "default/b": ["198.18.1.1"] },
    pending: { "default/c": ["pool-exhausted"] },
  },
  {
    name: "an autoAssign: false pool serves only Services that name it or one of its IPs",
    steps: [{ pools: [pool("manual", ["198.18.0.0/30"], { autoAssign: false })], services: [service("auto"), service("named", { requestedPool: "manual" }), service("ip", { requestedIps: ["198.18.0.3"] })] }],
    ips: { "default/named": ["198.18.0.0"], "default/ip": ["198.18.0.3"] },
    pending: { "default/auto": ["no-pool"] },
  },
  { name: "an IPv6 Service gets the first address of a /64", steps: [{ pools: [pool("v6", ["2001:db8:0:1::/64"])], services: [service("a", { ipFamilies: [6] })] }], ips: { "default/a": ["2001:db8:0:1::"] } },
  {
    name: "no pool at all: no-pool",
    steps: [{ pools: [], services: [service("a")] }],
    ips: {},
    pending: { "default/a": ["no-pool"] },
  },

  // Pool order: requested pool, pinned pools by priority, then the other autoAssign pools (by name).
  {
    name: "pinned pools by priority (lower first); unset priority after set ones; then unpinned pools",
    steps: [
      {
        pools: [
          pool("zz-open", ["198.18.9.0/31"]),
          pool("p-unset", ["198.18.3.0/32"], { serviceAllocation: { priority: 0, namespaces: ["team"], namespaceSelectors: [], serviceSelectors: [] } }),
          pool("p2", ["198.18.2.0/32"], { serviceAllocation: { priority: 2, namespaces: ["team"], namespaceSelectors: [], serviceSelectors: [] } }),
          pool("p1", ["198.18.1.0/32"], { serviceAllocation: { priority: 1, namespaces: ["team"], namespaceSelectors: [], serviceSelectors: [] } }),
        ],
        services: [service("team/a"), service("team/b"), service("team/c"), service("team/d"), service("other/x")],
      },
    ],
    ips: { "other/x": ["198.18.9.0"], "team/a": ["198.18.1.0"], "team/b": ["198.18.2.0"], "team/c": ["198.18.3.0"], "team/d": ["198.18.9.1"] },
  },
  {
    name: "pinned pools of equal priority: by pool name",
    steps: [
      {
        pools: [
          pool("zeta", ["198.18.2.0/32"], { serviceAllocation: { priority: 5, namespaces: ["team"], namespaceSelectors: [], serviceSelectors: [] } }),
          pool("alpha", ["198.18.1.0/32"], { serviceAllocation: { priority: 5, namespaces: [], namespaceSelectors: [], serviceSelectors: [{ matchLabels: { tier: "edge" }, matchExpressions: [] }] } }),
        ],
        services: [service("team/a", { labels: { tier: "edge" } }), service("team/b", { labels: { tier: "edge" } })],
      },
    ],
    ips: { "team/a": ["198.18.1.0"], "team/b": ["198.18.2.0"] },
  },
  {
    name: "a serviceAllocation with only a priority admits every Service (MetalLB would never use it automatically)",
    steps: [{ pools: [pool("open", ["198.18.2.0/32"]), pool("prio", ["198.18.1.0/32"], { serviceAllocation: { priority: 1, namespaces: [], namespaceSelectors: [], serviceSelectors: [] } })], services: [service("a"), service("b")] }],
    ips: { "default/a": ["198.18.1.0"], "default/b": ["198.18.2.0"] },
  },
  {
    name: "equal priorities: by pool name; unpinned pools by name (MetalLB's order there is random)",
    steps: [{ pools: [pool("b-pool", ["198.18.2.0/32"]), pool("a-pool", ["198.18.1.0/32"])], services: [service("s1"), service("s2")] }],
    ips: { "default/s1": ["198.18.1.0"], "default/s2": ["198.18.2.0"] },
  },
  {
    name: "a pool pinned to another namespace is not used; with no other pool: no-pool",
    steps: [{ pools: [pool("team-only", ["198.18.0.0/30"], { serviceAllocation: { priority: 1, namespaces: ["team"], namespaceSelectors: [], serviceSelectors: [] } })], services: [service("other/a"), service("team/b")] }],
    ips: { "team/b": ["198.18.0.0"] },
    pending: { "other/a": ["no-pool"] },
  },
  {
    name: "namespaceSelectors match Namespace labels",
    steps: [
      {
        namespaces: [{ name: "prod-a", labels: { env: "prod" } }, { name: "dev", labels: { env: "dev" } }],
        pools: [
          pool("prod", ["198.18.1.0/31"], { serviceAllocation: { priority: 1, namespaces: [], namespaceSelectors: [{ matchLabels: { env: "prod" }, matchExpressions: [] }], serviceSelectors: [] } }),
          pool("rest", ["198.18.2.0/31"]),
        ],
        services: [service("prod-a/web"), service("dev/web")],
      },
    ],
    ips: { "prod-a/web": ["198.18.1.0"], "dev/web": ["198.18.2.0"] },
  },
  {
    name: "namespaceSelectors that match no Namespace admit none (MetalLB would admit every namespace)",
    steps: [{ pools: [pool("p", ["198.18.1.0/31"], { serviceAllocation: { priority: 1, namespaces: [], namespaceSelectors: [{ matchLabels: { env: "prod" }, matchExpressions: [] }], serviceSelectors: [] } })], services: [service("a")] }],
    ips: {},
    pending: { "default/a": ["no-pool"] },
  },
  {
    name: "serviceSelectors match Service labels",
    steps: [
      {
        pools: [pool("edge", ["198.18.1.0/31"], { serviceAllocation: { priority: 1, namespaces: [], namespaceSelectors: [], serviceSelectors: [{ matchLabels: { tier: "edge" }, matchExpressions: [] }] } }), pool("rest", ["198.18.2.0/31"])],
        services: [service("e", { labels: { tier: "edge" } }), service("f")],
      },
    ],
    ips: { "default/e": ["198.18.1.0"], "default/f": ["198.18.2.0"] },
  },
  {
    name: "a requested pool that does not exist, or does not admit the Service: no-pool",
    steps: [{ pools: [pool("p", ["198.18.1.0/31"], { serviceAllocation: { priority: 1, namespaces: ["team"], namespaceSelectors: [], serviceSelectors: [] } })], services: [service("a", { requestedPool: "nope" }), service("b", { requestedPool: "p" })] }],
    ips: {},
    pending: { "default/a": ["no-pool"], "default/b": ["no-pool"] },
  },

  // Requested IPs.
  {
    name: "requested IPs: granted, outside every pool, taken, buggy, not admitted, not in the requested pool, invalid",
    steps: [
      {
        pools: [
          pool("p", ["198.18.0.0/24"], { avoidBuggyIPs: true }),
          pool("team", ["198.18.1.0/30"], { serviceAllocation: { priority: 1, namespaces: ["team"], namespaceSelectors: [], serviceSelectors: [] } }),
        ],
        services: [
          service("a", { requestedIps: ["198.18.0.7"] }),
          service("b", { requestedIps: ["203.0.113.1"] }),
          service("c", { requestedIps: ["198.18.0.7"] }),
          service("d", { requestedIps: ["198.18.0.255"] }),
          service("e", { requestedIps: ["198.18.1.1"] }),
          service("f", { requestedIps: ["198.18.0.9"], requestedPool: "team" }),
          service("g", { requestedIps: ["198.18.0.1", "198.18.0.2"] }),
          service("h", { requestedIps: ["2001:db8::1"] }),
        ],
      },
    ],
    ips: { "default/a": ["198.18.0.7"] },
    pending: {
      "default/b": ["requested-ip-outside-pools"],
      "default/c": ["requested-ip-taken"],
      "default/d": ["requested-ip-not-allowed"],
      "default/e": ["requested-ip-not-allowed"],
      "default/f": ["requested-ip-not-allowed"],
      "default/g": ["invalid-request"],
      "default/h": ["invalid-request"],
    },
  },
  {
    name: "the earlier Service (by key) gets a requested IP two Services ask for",
    steps: [{ pools: [v4], services: [service("z", { requestedIps: ["198.18.0.2"] }), service("m", { requestedIps: ["198.18.0.2"] })] }],
    ips: { "default/m": ["198.18.0.2"] },
    pending: { "default/z": ["requested-ip-taken"] },
  },

  // Families.
  { name: "RequireDualStack from a dual-stack pool", steps: [{ pools: [dual], services: [service("a", { ipFamilyPolicy: "RequireDualStack", ipFamilies: [4, 6] })] }], ips: { "default/a": ["198.18.1.0", "2001:db8:1::"] } },
  {
    name: "RequireDualStack with IPv4-only pools: family-unavailable, nothing taken",
    steps: [{ pools: [v4], services: [service("a", { ipFamilyPolicy: "RequireDualStack", ipFamilies: [4, 6] })] }],
    ips: {},
    pending: { "default/a": ["family-unavailable", "family-unavailable"] },
  },
  {
    name: "PreferDualStack takes what a single-family pool has",
    steps: [{ pools: [v4], services: [service("a", { ipFamilyPolicy: "PreferDualStack", ipFamilies: [4, 6] })] }],
    ips: { "default/a": ["198.18.0.0"] },
    pending: { "default/a": ["family-unavailable"] },
  },
  {
    name: "PreferDualStack prefers a later pool with both families over an earlier single-family one",
    steps: [{ pools: [pool("a-v4", ["198.18.0.0/30"]), pool("b-dual", ["198.18.1.0/30", "2001:db8:1::/126"])], services: [service("a", { ipFamilyPolicy: "PreferDualStack", ipFamilies: [4, 6] })] }],
    ips: { "default/a": ["198.18.1.0", "2001:db8:1::"] },
  },
  {
    name: "IPv6-primary PreferDualStack falls back to the first pool with its primary family",
    steps: [{ pools: [pool("a-v4", ["198.18.0.0/30"]), pool("b-v6", ["2001:db8:2::/126"])], services: [service("a", { ipFamilyPolicy: "PreferDualStack", ipFamilies: [6, 4] })] }],
    ips: { "default/a": ["2001:db8:2::"] },
    pending: { "default/a": ["family-unavailable"] },
  },
  {
    name: "PreferDualStack gets its second family from the same pool once that pool has one",
    steps: [
      { pools: [pool("p", ["198.18.1.0/30"])], services: [service("a", { ipFamilyPolicy: "PreferDualStack", ipFamilies: [4, 6] })] },
      { pools: [pool("p", ["198.18.1.0/30", "2001:db8:1::/126"])] },
    ],
    ips: { "default/a": ["198.18.1.0", "2001:db8:1::"] },
  },
  {
    name: "a half-allocated dual-stack Service whose pool is gone says so",
    steps: [
      { pools: [pool("p", ["198.18.1.0/30"])], services: [service("a", { ipFamilyPolicy: "PreferDualStack", ipFamilies: [4, 6] })] },
      { pools: [pool("q", ["198.18.2.0/30", "2001:db8:1::/126"])] },
    ],
    ips: { "default/a": ["198.18.1.0"] },
    pending: { "default/a": ["no-pool"] },
  },
  {
    name: "dual-stack requested IPs",
    steps: [{ pools: [dual], services: [service("a", { ipFamilyPolicy: "RequireDualStack", ipFamilies: [4, 6], requestedIps: ["198.18.1.2", "2001:db8:1::3"] })] }],
    ips: { "default/a": ["198.18.1.2", "2001:db8:1::3"] },
  },
  {
    name: "RequireDualStack with one requested IP is invalid",
    steps: [{ pools: [dual], services: [service("a", { ipFamilyPolicy: "RequireDualStack", ipFamilies: [4, 6], requestedIps: ["198.18.1.2"] })] }],
    ips: {},
    pending: { "default/a": ["invalid-request"] },
  },

  // Sharing.
  {
    name: "same sharing key, no port clash: one IP; a port clash or another key takes the next",
    steps: [{ pools: [v4], services: [shared("a", "k", 80), shared("b", "k", 443), shared("c", "k", 80), shared("d", "other", 22), service("e")] }],
    ips: { "default/a": ["198.18.0.0"], "default/b": ["198.18.0.0"], "default/c": ["198.18.0.1"], "default/d": ["198.18.0.2"], "default/e": ["198.18.0.3"] },
  },
  {
    name: "Local Services share only with the same selector; Cluster ones with any",
    steps: [
      {
        pools: [v4],
        services: [
          shared("l1", "k", 80, { externalTrafficPolicy: "Local", selector: { app: "x" } }),
          shared("l2", "k", 81, { externalTrafficPolicy: "Local", selector: { app: "x" } }),
          shared("l3", "k", 82, { externalTrafficPolicy: "Local", selector: { app: "y" } }),
          shared("c1", "k", 83, { selector: { app: "z" } }),
        ],
      },
    ],
    ips: { "default/c1": ["198.18.0.0"], "default/l1": ["198.18.0.1"], "default/l2": ["198.18.0.1"], "default/l3": ["198.18.0.2"] },
  },
  {
    name: "a requested IP held by a compatible Service is shared",
    steps: [{ pools: [v4], services: [shared("a", "k", 80, { requestedIps: ["198.18.0.3"] }), shared("b", "k", 443, { requestedIps: ["198.18.0.3"] })] }],
    ips: { "default/a": ["198.18.0.3"], "default/b": ["198.18.0.3"] },
  },
  {
    name: "a Service alone on its IP changes its ports or sharing key in place",
    steps: [
      { pools: [v4], services: [service("a")] },
      { services: [shared("a", "k", 443)] },
      { services: [shared("a", "k", 443), shared("b", "k", 80)] },
    ],
    ips: { "default/a": ["198.18.0.0"], "default/b": ["198.18.0.0"] },
  },
  {
    name: "a Service that drops its sharing key while sharing moves; the other stays",
    steps: [
      { pools: [v4], services: [shared("a", "k", 80), shared("b", "k", 443)] },
      { services: [shared("a", "k", 80), service("b", { ports: [{ port: 443, protocol: "TCP" }] })] },
    ],
    ips: { "default/a": ["198.18.0.0"], "default/b": ["198.18.0.1"] },
  },
  {
    name: "UDP and TCP on the same port do not clash",
    steps: [{ pools: [v4], services: [shared("dns-tcp", "dns", 53), shared("dns-udp", "dns", 53, { ports: [{ port: 53, protocol: "UDP" }] })] }],
    ips: { "default/dns-tcp": ["198.18.0.0"], "default/dns-udp": ["198.18.0.0"] },
  },

  // loadBalancerClass.
  {
    name: "Services of another class are ignored; the allocator's class is configurable",
    steps: [{ pools: [v4], services: [service("plain"), service("ours", { loadBalancerClass: "vipmesh.io/lb" }), service("theirs", { loadBalancerClass: "other" })] }],
    lbClass: "vipmesh.io/lb",
    ips: { "default/ours": ["198.18.0.0"] },
  },

  // Order and stability.
  { name: "Services are served in key order, not configuration order", steps: [{ pools: [v4], services: [service("b"), service("c"), service("a")] }], ips: { "default/a": ["198.18.0.0"], "default/b": ["198.18.0.1"], "default/c": ["198.18.0.2"] } },
  {
    name: "deleting a Service renumbers nobody; the freed IP goes to the next new Service",
    steps: [
      { pools: [v4], services: [service("a"), service("b"), service("c")] },
      { services: [service("a"), service("c")] },
      { services: [service("a"), service("c"), service("z")] },
    ],
    ips: { "default/a": ["198.18.0.0"], "default/c": ["198.18.0.2"], "default/z": ["198.18.0.1"] },
  },
  {
    name: "a pending Service gets an IP as soon as one is freed",
    steps: [
      { pools: [pool("tiny", ["198.18.0.1/32"])], services: [service("a"), service("b")] },
      { services: [service("b")] },
    ],
    ips: { "default/b": ["198.18.0.1"] },
  },
  {
    name: "a pool edit that drops an in-use IP keeps the allocation (reported, not renumbered)",
    steps: [
      { pools: [pool("p", ["198.18.0.0/29"])], services: [service("a"), service("b"), service("c")] },
      { pools: [pool("p", ["198.18.0.0/31"])] },
    ],
    ips: { "default/a": ["198.18.0.0"], "default/b": ["198.18.0.1"], "default/c": ["198.18.0.2"] },
  },
  {
    name: "a pool deleted and re-created: nothing moves, pending Services are served again",
    steps: [
      { pools: [pool("p", ["198.18.0.0/31"])], services: [service("a"), service("b")] },
      { pools: [], services: [service("a"), service("b"), service("c")] },
      { pools: [pool("p", ["198.18.0.0/30"])] },
    ],
    ips: { "default/a": ["198.18.0.0"], "default/b": ["198.18.0.1"], "default/c": ["198.18.0.2"] },
  },
  {
    name: "a changed request moves the Service; the old IP is free again",
    steps: [
      { pools: [v4], services: [service("a", { requestedIps: ["198.18.0.1"] }), service("b")] },
      { services: [service("a", { requestedIps: ["198.18.0.3"] }), service("b"), service("c")] },
    ],
    ips: { "default/a": ["198.18.0.3"], "default/b": ["198.18.0.0"], "default/c": ["198.18.0.1"] },
  },
  {
    name: "a changed requested pool moves the Service",
    steps: [
      { pools: [pool("a-p", ["198.18.0.0/30"]), pool("b-p", ["198.18.1.0/30"])], services: [service("s")] },
      { services: [service("s", { requestedPool: "b-p" })] },
    ],
    ips: { "default/s": ["198.18.1.0"] },
  },
  {
    name: "a Service whose own ports now clash moves; its partner stays",
    steps: [
      { pools: [v4], services: [shared("a", "k", 80), shared("b", "k", 443)] },
      { services: [shared("a", "k", 80), shared("b", "k", 80)] },
    ],
    ips: { "default/a": ["198.18.0.0"], "default/b": ["198.18.0.1"] },
  },
  {
    name: "a Service that drops a family releases it; one that changes class releases all",
    steps: [
      { pools: [dual], services: [service("d", { ipFamilyPolicy: "RequireDualStack", ipFamilies: [4, 6] }), service("c")] },
      { services: [service("d", { ipFamilies: [4] }), service("c", { loadBalancerClass: "other" })] },
    ],
    ips: { "default/d": ["198.18.1.1"] },
  },

  // Adoption from Service status.
  {
    name: "IPs in Service status are taken in before anything new is allocated",
    steps: [{ pools: [v4], services: [service("a"), service("z", { statusIps: ["198.18.0.0"] })] }],
    ips: { "default/a": ["198.18.0.1"], "default/z": ["198.18.0.0"] },
  },
  {
    name: "an IP held per status beats a new request for it; a status IP outside every pool is not adopted",
    steps: [{ pools: [v4], services: [service("a", { requestedIps: ["198.18.0.0"] }), service("b", { statusIps: ["198.18.0.0"] }), service("c", { statusIps: ["203.0.113.9"] })] }],
    ips: { "default/b": ["198.18.0.0"], "default/c": ["198.18.0.1"] },
    pending: { "default/a": ["requested-ip-taken"] },
  },
  {
    name: "a status IP the log gives to another Service is not adopted",
    steps: [
      { pools: [v4], services: [service("a", { requestedIps: ["198.18.0.0"] })] },
      { services: [service("a", { requestedIps: ["198.18.0.0"] }), service("b", { statusIps: ["198.18.0.0"] })] },
    ],
    ips: { "default/a": ["198.18.0.0"], "default/b": ["198.18.0.1"] },
  },
];

describe("IPAM allocation rules", () => {
  it.each(cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const { replica } = run(c);
    expect(allocationsOf(replica.state)).toEqual(c.ips);
    const status = ipamStatus(replica.state, { lbClass: c.lbClass ?? null });
    const reasons = Object.fromEntries(status.services.filter((s) => s.pending.length > 0).map((s) => [s.service, s.pending.map((p) => p.reason)]));
    expect(reasons).toEqual(c.pending ?? {});
    expect(replica.state.ipam.rejected).toBe(0);
  });
});
