import { describe, expect, it } from "vitest";
import { ConfigError, parseManifests } from "../../src/config/parseManifests.js";
import { canonicalIp, IpParseError } from "../../src/net/ip.js";
import { parseAddressBlock } from "../../src/net/cidr.js";

const pool = "kind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: [198.18.0.0/24] }\n";

describe("file configuration is rejected with the object, field and reason", () => {
  it.each([
    ["a pool without addresses", "kind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: [] }\n", /IPAddressPool\/p: spec.addresses: /],
    ["a malformed CIDR", "kind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: [198.18.0.0/33] }\n", /IPAddressPool\/p: spec.addresses\[0\]: .*prefix length/],
    ["a range across families", "kind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: [\"198.18.0.1-2001:db8::1\"] }\n", /different families/],
    ["both loadBalancerIP and the annotation", `${pool}---\nkind: Service\nmetadata: { name: s, annotations: { metallb.io/loadBalancerIPs: 198.18.0.1 } }\nspec: { type: LoadBalancer, loadBalancerIP: 198.18.0.2 }\n`, /Service\/default\/s: spec.loadBalancerIP: cannot be combined/],
    ["a bad annotated IP", `${pool}---\nkind: Service\nmetadata: { name: s, annotations: { metallb.io/loadBalancerIPs: 198.18.0.300 } }\nspec: { type: LoadBalancer }\n`, /metadata.annotations.metallb.io\/loadBalancerIPs: invalid IP address "198.18.0.300"/],
    ["a bad traffic policy", `kind: Service\nmetadata: { name: s }\nspec: { type: LoadBalancer, externalTrafficPolicy: Nearest }\n`, /spec.externalTrafficPolicy/],
    ["an unknown kind", "kind: Gateway\nmetadata: { name: g }\n", /kind: unsupported kind "Gateway"/],
    ["broken YAML", "kind: [\n", /document 1: YAML/],
    ["an invalid object, named by kind and name", "kind: BGPPeer\nmetadata: { name: peer1, namespace: metallb-system }\nspec: { myASN: 0, peerASN: 2, peerAddress: 198.18.2.1 }\n", /^invalid configuration:\n  BGPPeer\/peer1: spec.myASN: /],
    ["an object without a name, named by its document", `${pool}---\nkind: IPAddressPool\nspec: { addresses: [198.18.1.0/24] }\n`, /document 2 \(IPAddressPool\): metadata: /],
  ])("%s", (_name, yaml, message) => {
    expect(() => parseManifests(yaml)).toThrow(ConfigError);
    expect(() => parseManifests(yaml)).toThrow(message);
  });

  it("lists every problem, not just the first", () => {
    try {
      parseManifests("kind: Gateway\nmetadata: { name: g }\n---\nkind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: [bogus] }\n");
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toHaveLength(2);
    }
  });
});

describe("addresses", () => {
  it.each([
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:db8::", "2001:db8::"],
    ["::ffff:198.18.0.1", "::ffff:c612:1"],
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"],
    ["198.18.0.1", "198.18.0.1"],
  ])("%s is canonically %s", (input, canonical) => {
    expect(canonicalIp(input)).toBe(canonical);
  });

  it.each(["198.18.0", "198.18.0.01", "1::2::3", "2001:db8:::1", "12345::", "1:2:3:4:5:6:7:8:9"])("%s is rejected", (input) => {
    expect(() => canonicalIp(input)).toThrow(IpParseError);
  });

  it("a /64 pool is counted exactly, in 128-bit arithmetic", () => {
    const r = parseAddressBlock("2001:db8:0:1::/64");
    expect(r.last - r.first + 1n).toBe(2n ** 64n);
  });
});
