import fc from "fast-check";
import type { ClusterConfig, PoolConfig, ServiceConfig } from "../../src/config/types.js";
import { pool, service } from "./ipamFixtures.js";

// Random configurations and edits for IPAM property tests: a few small pools (so they run out), Services that
// exercise every rule (requests, pools, sharing, families, classes, status), and the edits users make.

export type PoolShape = { a: string | null; buggy: boolean; b: boolean; c: number | null; d: boolean; e?: number | null };

export const poolShape: fc.Arbitrary<PoolShape> = fc.record({
  a: fc.constantFrom<string | null>(null, "198.18.0.0/29", "198.18.0.0/30", "198.18.0.0/31", "198.18.0.0/32", "198.18.0.252-198.18.1.3"),
  buggy: fc.boolean(),
  b: fc.constantFrom(false, false, true),
  c: fc.constantFrom<number | null>(null, 0, 1, 2),
  d: fc.boolean(),
  e: fc.constantFrom<number | null>(null, 0, 1, 2),
});

export function poolsOf(s: PoolShape): PoolConfig[] {
  const pools: PoolConfig[] = [];
  if (s.a) pools.push(pool("pa", [s.a], { avoidBuggyIPs: s.buggy }));
  if (s.b) pools.push(pool("pb", ["198.18.4.0-198.18.4.2", "2001:db8::/126"]));
  if (s.c !== null) pools.push(pool("pc", ["198.18.2.0/31"], { serviceAllocation: { priority: s.c, namespaces: ["a"], namespaceSelectors: [], serviceSelectors: [] } }));
  if (s.d) pools.push(pool("pd", ["198.18.3.0/31", "2001:db8:3::/127"], { autoAssign: false }));
  // Pinned by a Service selector, so it competes with pc (same priority: by name) for edge Services of namespace a.
  const edge = [{ matchLabels: { tier: "edge" }, matchExpressions: [] }];
  if (s.e !== null && s.e !== undefined) pools.push(pool("pb-edge", ["198.18.6.0/31"], { serviceAllocation: { priority: s.e, namespaces: [], namespaceSelectors: [], serviceSelectors: edge } }));
  return pools;
}

const NAMES = ["a/s0", "a/s1", "a/s2", "b/s3", "b/s4", "b/s5", "b/s6", "b/s7", "b/s8"] as const;
export const serviceName = fc.constantFrom(...NAMES);

const FAMILY_SHAPES: Pick<ServiceConfig, "ipFamilyPolicy" | "ipFamilies">[] = [
  { ipFamilyPolicy: "SingleStack", ipFamilies: [4] },
  { ipFamilyPolicy: "SingleStack", ipFamilies: [4] },
  { ipFamilyPolicy: "SingleStack", ipFamilies: [4] },
  { ipFamilyPolicy: "SingleStack", ipFamilies: [4] },
  { ipFamilyPolicy: "SingleStack", ipFamilies: [6] },
  { ipFamilyPolicy: "PreferDualStack", ipFamilies: [4, 6] },
  { ipFamilyPolicy: "RequireDualStack", ipFamilies: [4, 6] },
  { ipFamilyPolicy: "PreferDualStack", ipFamilies: [6, 4] },
];

const V4 = ["198.18.0.1", "198.18.0.0", "198.18.0.255", "198.18.4.1", "198.18.3.1", "198.18.9.9"];
const V6 = ["2001:db8::2", "2001:db8:3::1", "2001:db8:9::9"];

export const serviceSpec = fc.record({
  families: fc.constantFrom(...FAMILY_SHAPES),
  /** 0: none; 1: one of the primary family; 2: one of each family; 3: anything (often invalid). */
  request: fc.constantFrom(0, 0, 0, 0, 0, 1, 1, 2, 3),
  v4: fc.constantFrom(...V4),
  v6: fc.constantFrom(...V6),
  pool: fc.oneof({ weight: 6, arbitrary: fc.constant<string | null>(null) }, { weight: 1, arbitrary: fc.constantFrom("pa", "pb", "pd", "nope") }),
  sharing: fc.constantFrom<string | null>(null, "k1", "k1", "k1", "k2"),
  ports: fc.constantFrom([80], [443], [8080], [80, 443], [53]),
  udp: fc.boolean(),
  local: fc.constantFrom(false, false, false, false, false, true),
  app: fc.constantFrom("x", "y"),
  edge: fc.boolean(),
  lbClass: fc.constantFrom<string | null>(null, null, null, null, null, null, null, "other"),
  status: fc.oneof({ weight: 6, arbitrary: fc.constant<string[]>([]) }, { weight: 1, arbitrary: fc.constantFrom(...V4, ...V6).map((ip) => [ip]) }),
});
export type ServiceSpec = typeof serviceSpec extends fc.Arbitrary<infer T> ? T : never;

function requestOf(s: ServiceSpec): string[] {
  const primary = s.families.ipFamilies[0] === 6 ? s.v6 : s.v4;
  return [[], [primary], [s.v4, s.v6], [s.v6]][s.request] ?? [];
}

export function serviceOf(name: string, s: ServiceSpec): ServiceConfig {
  return service(name, {
    ...s.families,
    requestedIps: requestOf(s),
    requestedPool: s.pool,
    sharingKey: s.sharing,
    ports: s.ports.map((port) => ({ port, protocol: s.udp && port === 53 ? "UDP" : "TCP" })),
    externalTrafficPolicy: s.local ? "Local" : "Cluster",
    selector: { app: s.app },
    labels: s.edge ? { tier: "edge" } : {},
    loadBalancerClass: s.lbClass,
    statusIps: s.status,
  });
}

export type Op =
  | { kind: "pools"; shape: PoolShape }
  | { kind: "upsert"; name: string; spec: ServiceSpec }
  | { kind: "delete"; name: string }
  | { kind: "restart"; fromSnapshot: boolean };

export const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 2, arbitrary: poolShape.map((shape): Op => ({ kind: "pools", shape })) },
  { weight: 6, arbitrary: fc.record({ name: serviceName, spec: serviceSpec }).map(({ name, spec }): Op => ({ kind: "upsert", name, spec })) },
  { weight: 2, arbitrary: serviceName.map((name): Op => ({ kind: "delete", name })) },
  { weight: 1, arbitrary: fc.boolean().map((fromSnapshot): Op => ({ kind: "restart", fromSnapshot })) },
);

export function applyOp(config: ClusterConfig, o: Op): ClusterConfig {
  const key = (s: ServiceConfig): string => `${s.namespace}/${s.name}`;
  switch (o.kind) {
    case "pools":
      return { ...config, pools: poolsOf(o.shape) };
    case "upsert":
      return { ...config, services: [...config.services.filter((s) => key(s) !== o.name), serviceOf(o.name, o.spec)] };
    case "delete":
      return { ...config, services: config.services.filter((s) => key(s) !== o.name) };
    case "restart":
      return config;
  }
}
