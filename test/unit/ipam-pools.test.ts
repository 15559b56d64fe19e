import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import fc from "fast-check";
import { ConfigError, parseManifests } from "../../src/config/parseManifests.js";
import { countCongruent, parseAddressBlock } from "../../src/net/cidr.js";
import { ipamStatus } from "../../src/projections/ipam/status.js";
import { usableCount } from "../../src/projections/ipam/usage.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";
import { MemoryLog, Replica } from "../support/ipamLog.js";

// Pool arithmetic is exact for any size, usage is reported per family, and the file source reads every
// field IPAM uses, rejecting what MetalLB rejects.

describe("pool arithmetic", () => {
  it("counts congruent values exactly (against a loop)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2000n }), fc.bigInt({ min: 0n, max: 600n }), fc.bigInt({ min: 1n, max: 300n }), fc.bigInt({ min: 0n, max: 299n }), (first, span, m, r) => {
        const residue = r % m;
        let naive = 0n;
        for (let v = first; v <= first + span; v++) if (v % m === residue) naive++;
        return countCongruent(first, first + span, m, residue) === naive;
      }),
    );
  });

  it.each([
    ["198.18.0.0/24", false, 256n],
    ["198.18.0.0/24", true, 254n],
    ["198.18.0.0/16", true, 65_536n - 512n],
    ["198.18.0.250-198.18.1.5", true, 12n - 2n],
    ["198.18.0.1-198.18.0.254", true, 254n],
    ["2001:db8:0:1::/64", true, 2n ** 64n],
    ["2001:db8::/32", false, 2n ** 96n],
  ])("%s (avoidBuggyIPs %s) has %s usable addresses", (block, avoid, count) => {
    expect(usableCount(parseAddressBlock(block), avoid)).toBe(count);
  });

  it("usage per pool and family: exact totals as strings, assigned as numbers", () => {
    const log = new MemoryLog();
    const r = new Replica(log, "a");
    const pools = [pool("v4", ["198.18.0.0/24"], { avoidBuggyIPs: true }), pool("v6", ["2001:db8:0:1::/64"])];
    log.applyConfig(clusterConfig({ pools, services: [service("a"), service("b"), service("c", { ipFamilies: [6] })] }));
    r.converge();
    expect(ipamStatus(r.state, { lbClass: null }).pools).toEqual([
      { pool: "v4", v4: { total: "254", assigned: 2, available: "252" }, v6: { total: "0", assigned: 0, available: "0" } },
      { pool: "v6", v4: { total: "0", assigned: 0, available: "0" }, v6: { total: "18446744073709551616", assigned: 1, available: "18446744073709551615" } },
    ]);
  });

  it("an allocation a pool edit no longer covers is kept and reported", () => {
    const log = new MemoryLog();
    const r = new Replica(log, "a");
    log.applyConfig(clusterConfig({ pools: [pool("p", ["198.18.0.0/30"])], services: [service("a"), service("b")] }));
    r.converge();
    log.applyConfig(clusterConfig({ pools: [pool("p", ["198.18.0.0/32"], { avoidBuggyIPs: true })], services: [service("a"), service("b")] }));
    r.converge();
    const status = ipamStatus(r.state, { lbClass: null });
    expect(status.services.map((s) => [s.service, s.state, s.ips])).toEqual([["default/a", "allocated", ["198.18.0.0"]], ["default/b", "allocated", ["198.18.0.1"]]]);
    expect(status.warnings.map((w) => [w.ip, w.code])).toEqual([["198.18.0.0", "buggy-ip"], ["198.18.0.1", "outside-pools"]]);
  });

  it("a Service of another class is reported as ignored", () => {
    const log = new MemoryLog();
    const r = new Replica(log, "a");
    log.applyConfig(clusterConfig({ pools: [pool("p", ["198.18.0.0/30"])], services: [service("a", { loadBalancerClass: "example.com/other" })] }));
    r.converge();
    expect(ipamStatus(r.state, { lbClass: null }).services).toEqual([{ service: "default/a", state: "ignored", ips: [], pending: [] }]);
  });
});

const doc = (...parts: string[]): string => parts.join("\n---\n");
const pools = `kind: IPAddressPool
metadata: { name: a }
spec: { addresses: [198.18.0.0/24] }`;

describe("the file source reads what IPAM needs", () => {
  it("pools with serviceAllocation, Namespaces, and every Service field", () => {
    const config = parseManifests(
      doc(
        `kind: IPAddressPool
metadata: { name: pinned, labels: { zone: a } }
spec:
  addresses: [198.18.1.0/24, "2001:db8::/64"]
  autoAssign: false
  avoidBuggyIPs: true
  serviceAllocation:
    priority: 10
    namespaces: [team-a]
    namespaceSelectors: [{ matchLabels: { env: prod } }]
    serviceSelectors: [{ matchExpressions: [{ key: tier, operator: In, values: [edge] }] }]`,
        `kind: Namespace
metadata: { name: team-a, labels: { env: prod } }`,
        `kind: Service
metadata:
  name: web
  namespace: team-a
  labels: { tier: edge }
  annotations:
    metallb.io/loadBalancerIPs: "198.18.1.7, 2001:db8::7"
    metallb.io/address-pool: pinned
    metallb.io/allow-shared-ip: web-key
spec:
  type: LoadBalancer
  loadBalancerClass: vipmesh.io/lb
  ipFamilyPolicy: RequireDualStack
  ipFamilies: [IPv6, IPv4]
  externalTrafficPolicy: Local
  selector: { app: web }
  ports: [{ port: 443 }, { port: 53, protocol: UDP }]
status: { loadBalancer: { ingress: [{ ip: 198.18.1.7 }, { hostname: lb.example.com }] } }`,
        `kind: Service
metadata: { name: old, annotations: { metallb.universe.tf/address-pool: pinned } }
spec: { type: LoadBalancer, loadBalancerIP: 198.18.1.8 }`,
      ),
    );
    expect(config.pools[0]?.serviceAllocation).toEqual({
      priority: 10,
      namespaces: ["team-a"],
      namespaceSelectors: [{ matchLabels: { env: "prod" }, matchExpressions: [] }],
      serviceSelectors: [{ matchLabels: {}, matchExpressions: [{ key: "tier", operator: "In", values: ["edge"] }] }],
    });
    expect(config.namespaces).toEqual([{ name: "team-a", labels: { env: "prod" } }]);
    expect(config.services[0]).toEqual({
      namespace: "team-a",
      name: "web",
      labels: { tier: "edge" },
      requestedIps: ["198.18.1.7", "2001:db8::7"],
      requestedPool: "pinned",
      sharingKey: "web-key",
      loadBalancerClass: "vipmesh.io/lb",
      ipFamilyPolicy: "RequireDualStack",
      ipFamilies: [6, 4],
      ports: [{ port: 443, protocol: "TCP" }, { port: 53, protocol: "UDP" }],
      selector: { app: "web" },
      externalTrafficPolicy: "Local",
      statusIps: ["198.18.1.7"],
      readyEndpointNodes: [],
    });
    expect(config.services[1]).toMatchObject({ requestedIps: ["198.18.1.8"], requestedPool: "pinned", ipFamilies: [4], ipFamilyPolicy: "SingleStack" });
  });

  it.each([
    ["a Service without ipFamilies takes the family of its requested IP", `kind: Service\nmetadata: { name: s, annotations: { metallb.io/loadBalancerIPs: "2001:db8::5" } }\nspec: { type: LoadBalancer }`, { ipFamilies: [6], ipFamilyPolicy: "SingleStack" }],
    ["one requested IP per family means dual-stack", `kind: Service\nmetadata: { name: s, annotations: { metallb.io/loadBalancerIPs: "198.18.0.5,2001:db8::5" } }\nspec: { type: LoadBalancer }`, { ipFamilies: [4, 6], ipFamilyPolicy: "RequireDualStack" }],
    ["PreferDualStack without ipFamilies gets both, IPv4 first", `kind: Service\nmetadata: { name: s }\nspec: { type: LoadBalancer, ipFamilyPolicy: PreferDualStack }`, { ipFamilies: [4, 6] }],
    ["an empty allow-shared-ip shares with nobody", `kind: Service\nmetadata: { name: s, annotations: { metallb.io/allow-shared-ip: "" } }\nspec: { type: LoadBalancer }`, { sharingKey: null }],
  ])("%s", (_name, yaml, expected) => {
    expect(parseManifests(yaml).services[0]).toMatchObject(expected);
  });

  it.each([
    ["overlapping pools", doc(pools, "kind: IPAddressPool\nmetadata: { name: b }\nspec: { addresses: [198.18.0.128-198.18.1.3] }"), /IPAddressPool\/b: spec.addresses\[0\]: 198.18.0.128-198.18.1.3 overlaps 198.18.0.0\/24 of IPAddressPool\/a/],
    ["overlapping blocks in one pool", "kind: IPAddressPool\nmetadata: { name: a }\nspec: { addresses: [198.18.0.0/24, 198.18.0.7/32] }", /198.18.0.7\/32 overlaps 198.18.0.0\/24 of IPAddressPool\/a/],
    ["a pool defined twice", doc(pools, pools), /IPAddressPool\/a: metadata.name: defined more than once/],
    ["SingleStack with two families", "kind: Service\nmetadata: { name: s }\nspec: { type: LoadBalancer, ipFamilyPolicy: SingleStack, ipFamilies: [IPv4, IPv6] }", /SingleStack cannot have two ipFamilies/],
    ["a port out of range", "kind: Service\nmetadata: { name: s }\nspec: { type: LoadBalancer, ports: [{ port: 70000 }] }", /Service\/default\/s: spec.ports\[0\].port: /],
    ["a bad status IP", "kind: Service\nmetadata: { name: s }\nspec: { type: LoadBalancer }\nstatus: { loadBalancer: { ingress: [{ ip: 10.0.0.300 }] } }", /status.loadBalancer.ingress: invalid IP address/],
  ])("rejects %s", (_name, yaml, message) => {
    expect(() => parseManifests(yaml)).toThrow(ConfigError);
    expect(() => parseManifests(yaml)).toThrow(message);
  });
});

describe("what the file source accepts, the log accepts", () => {
  it("a parsed configuration survives ConfigApplied v2 unchanged (a mismatch would drop it on every consumer)", () => {
    const examples = [
      readFileSync(new URL("../../deploy/examples/l2-config.yaml", import.meta.url), "utf8"),
      doc(pools, "kind: Service\nmetadata: { name: many, annotations: { metallb.io/loadBalancerIPs: \"198.18.0.1,198.18.0.2,198.18.0.3\" } }\nspec: { type: LoadBalancer, ipFamilyPolicy: PreferDualStack }"),
    ];
    for (const text of examples) {
      const config = parseManifests(text);
      const meta = { stream: "EVENTS" as const, seq: 1, time: 1, subject: "vipmesh.ev.config.file" };
      const decoded = decodeEvent(encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config } }), meta);
      expect(decoded.ok && decoded.event.type === "ConfigApplied" && decoded.event.data.config).toEqual(config);
    }
  });
});
