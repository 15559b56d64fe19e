import { describe, expect, it } from "vitest";
import { ConfigError, parseManifests } from "../../src/config/parseManifests.js";
import { parseGoDuration } from "../../src/config/duration.js";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";

// BGPPeer, BGPAdvertisement, Community and Secret in the file source: MetalLB's fields, defaults and rules,
// and errors naming the object and field.

const POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: lab, namespace: metallb-system, labels: { tier: web } }
spec: { addresses: ["198.18.8.0/24"] }
`;

const doc = (...parts: string[]): string => [POOL, ...parts].join("---\n");

function problems(text: string): string[] {
  try {
    parseManifests(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe("BGP configuration from manifests", () => {
  it("reads a BGPPeer with MetalLB's defaults and a password from a Secret", () => {
    const config = parseManifests(
      doc(
        `kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: 64512, peerASN: 64500, peerAddress: "198.18.2.1", holdTime: 9s, passwordSecret: { name: bgp-auth, namespace: metallb-system } }
`,
        `kind: Secret
metadata: { name: bgp-auth, namespace: metallb-system }
type: kubernetes.io/basic-auth
data: { password: ${Buffer.from("s3cret").toString("base64")} }
`,
      ),
    );
    expect(config.bgp?.peers).toEqual([
      {
        name: "router", myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null,
        holdTimeMs: 9000, keepaliveTimeMs: null, connectTimeMs: null, password: "s3cret", ebgpMultiHop: false, nodeSelectors: [],
        enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null,
      },
    ]);
    expect(config.bgp?.advertisements).toEqual([]);
  });

  it("resolves Community aliases into plain and large communities, with aggregation defaults", () => {
    const config = parseManifests(
      doc(
        `kind: Community
metadata: { name: names }
spec: { communities: [{ name: no-export, value: "65535:65281" }, { name: big, value: "large:1:2:3" }] }
`,
        `kind: BGPAdvertisement
metadata: { name: ads }
spec: { communities: [no-export, "64512:100", big, "large:4:5:6"], localPref: 150, peers: [router] }
`,
      ),
    );
    expect(config.bgp?.advertisements[0]).toMatchObject({
      name: "ads", aggregationLength: 32, aggregationLengthV6: 128, localPref: 150, peers: ["router"],
      communities: ["65535:65281", "64512:100"], largeCommunities: ["1:2:3", "4:5:6"],
    });
  });

  it.each([
    ["peerASN and dynamicASN", `{ myASN: 1, peerASN: 2, dynamicASN: external, peerAddress: "198.18.2.1" }`, /BGPPeer\/p: spec.dynamicASN: .*mutually exclusive/],
    ["no peer ASN", `{ myASN: 1, peerAddress: "198.18.2.1" }`, /BGPPeer\/p: spec.peerASN: one of peerASN or dynamicASN/],
    ["iBGP multihop", `{ myASN: 1, peerASN: 1, ebgpMultiHop: true, peerAddress: "198.18.2.1" }`, /BGPPeer\/p: spec.ebgpMultiHop/],
    ["bad address", `{ myASN: 1, peerASN: 2, peerAddress: "198.18.2" }`, /BGPPeer\/p: spec.peerAddress: invalid IP/],
    ["IPv6 router ID", `{ myASN: 1, peerASN: 2, peerAddress: "198.18.2.1", routerID: "2001:db8::1" }`, /BGPPeer\/p: spec.routerID/],
    ["hold time 2s", `{ myASN: 1, peerASN: 2, peerAddress: "198.18.2.1", holdTime: 2s }`, /BGPPeer\/p: spec.holdTime: .*0 or >= 3s/],
    ["keepalive over hold", `{ myASN: 1, peerASN: 2, peerAddress: "198.18.2.1", holdTime: 9s, keepaliveTime: 10s }`, /BGPPeer\/p: spec.keepaliveTime/],
    ["not a duration", `{ myASN: 1, peerASN: 2, peerAddress: "198.18.2.1", holdTime: soon }`, /BGPPeer\/p: spec.holdTime: "soon" is not a duration/],
    ["connectTime fraction", `{ myASN: 1, peerASN: 2, peerAddress: "198.18.2.1", connectTime: 1500ms }`, /BGPPeer\/p: spec.connectTime: must be a whole number/],
    ["missing Secret", `{ myASN: 1, peerASN: 2, peerAddress: "198.18.2.1", passwordSecret: { name: nope } }`, /BGPPeer\/p: spec.passwordSecret.name: no Secret "nope"/],
    ["password and Secret", `{ myASN: 1, peerASN: 2, peerAddress: "198.18.2.1", password: x, passwordSecret: { name: nope } }`, /mutually exclusive/],
    ["schema", `{ myASN: 0, peerASN: 2, peerAddress: "198.18.2.1" }`, /document 2 \(BGPPeer\): spec.myASN/],
  ])("rejects a BGPPeer with %s, naming object and field", (_name, spec, pattern) => {
    expect(problems(doc(`kind: BGPPeer\nmetadata: { name: p }\nspec: ${spec}\n`)).join("\n")).toMatch(pattern);
  });

  it.each([
    ["an unknown alias", `{ communities: [nope] }`, /BGPAdvertisement\/a: spec.communities\[0\]: "nope" is neither/],
    ["a malformed community", `{ communities: ["1:2:3"] }`, /BGPAdvertisement\/a: spec.communities\[0\]: "1:2:3" is not a community/],
    ["a 16-bit overflow", `{ communities: ["70000:1"] }`, /spec.communities\[0\]/],
    ["an aggregation length over 32", `{ aggregationLength: 33 }`, /document 2 \(BGPAdvertisement\): spec.aggregationLength/],
  ])("rejects a BGPAdvertisement with %s", (_name, spec, pattern) => {
    expect(problems(doc(`kind: BGPAdvertisement\nmetadata: { name: a }\nspec: ${spec}\n`)).join("\n")).toMatch(pattern);
  });

  it.each([
    [24, true],
    [25, true],
    [32, true],
    [23, false],
    [16, false],
  ])("aggregationLength %d against a pool 198.18.8.0/24: accepted %s", (length, ok) => {
    const found = problems(doc(`kind: BGPAdvertisement\nmetadata: { name: a }\nspec: { aggregationLength: ${length} }\n`));
    expect(found).toEqual(ok ? [] : [`BGPAdvertisement/a: spec.aggregationLength: ${length} is shorter than /24 in 198.18.8.0/24 of IPAddressPool/lab`]);
  });

  it("rejects an aggregationLength shorter than a pool's CIDRs (MetalLB), ranges as their covering CIDRs", () => {
    const ranged = POOL.replace('["198.18.8.0/24"]', '["198.18.8.0/24", "198.18.9.0-198.18.9.5"]');
    expect(problems([ranged, `kind: BGPAdvertisement\nmetadata: { name: a }\nspec: { ipAddressPools: [lab], aggregationLength: 24 }\n`].join("---\n"))).toEqual([
      "BGPAdvertisement/a: spec.aggregationLength: 24 is shorter than /31 in 198.18.9.0-198.18.9.5 of IPAddressPool/lab",
    ]);
    expect(problems([POOL, `kind: BGPAdvertisement\nmetadata: { name: a }\nspec: { ipAddressPools: [other], aggregationLength: 8 }\n`].join("---\n"))).toEqual([]);
  });

  it("an L2-only configuration has no bgp part (its hash does not change)", () => {
    expect(parseManifests(POOL).bgp).toBeUndefined();
  });

  it("travels through ConfigApplied v3 unchanged", () => {
    const config = parseManifests(doc(`kind: BGPPeer\nmetadata: { name: p }\nspec: { myASN: 1, peerASN: 2, peerAddress: "2001:db8::1", password: pw }\n`, `kind: BGPAdvertisement\nmetadata: { name: a }\n`));
    const bytes = encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config } });
    const decoded = decodeEvent(bytes, { stream: "EVENTS", seq: 1, time: 1, subject: "vipmesh.config.file" });
    expect(decoded.ok && decoded.event.type === "ConfigApplied" ? decoded.event.data.config.bgp : null).toEqual(config.bgp);
  });

  it("a ConfigApplied v2 payload (before BGP) still decodes, without a bgp part", () => {
    const config = parseManifests(POOL);
    const bytes = new TextEncoder().encode(JSON.stringify({ type: "ConfigApplied", v: 2, data: { source: "file", hash: "h", config } }));
    const decoded = decodeEvent(bytes, { stream: "EVENTS", seq: 1, time: 1, subject: "vipmesh.config.file" });
    expect(decoded.ok && decoded.event.type === "ConfigApplied" ? decoded.event.data.config : null).toEqual(config);
  });

  it.each([
    ["90s", 90_000], ["1m30s", 90_000], ["500ms", 500], ["1.5h", 5_400_000], ["0", 0], ["", null], ["5", null], ["3x", null], ["1s2", null],
  ])("reads the Go duration %j as %j ms", (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });
});
