import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { ConfigError, parseManifests } from "../../src/config/parseManifests.js";
import { parseGoDuration } from "../../src/config/duration.js";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import { sessionFor } from "../../src/agents/speaker/bgpSession.js";
import { desiredRoutes } from "../../src/protocols/bgp/adjRibOut.js";
import { localOpen } from "../../src/protocols/bgp/localOpen.js";
import { initialPeer, stepPeer, type PeerConfig, type PeerInput } from "../../src/protocols/bgp/peer.js";
import type { SessionAction } from "../../src/protocols/bgp/sessionTypes.js";
import type { UpdateMessage } from "../../src/protocols/bgp/update.js";

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
        holdTimeMs: 9000, keepaliveTimeMs: null, connectTimeMs: null, ebgpMultiHop: false, nodeSelectors: [],
        // Where the password is and its SHA-256, never the value (the log and snapshots carry this).
        password: { from: "secret", namespace: "metallb-system", name: "bgp-auth", key: "password", sha256: createHash("sha256").update("s3cret").digest("hex") },
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
        `kind: BGPPeer
metadata: { name: router }
spec: { myASN: 64512, peerASN: 64500, peerAddress: 198.18.2.1 }
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
    ["schema", `{ myASN: 0, peerASN: 2, peerAddress: "198.18.2.1" }`, /BGPPeer\/p: spec.myASN/],
  ])("rejects a BGPPeer with %s, naming object and field", (_name, spec, pattern) => {
    expect(problems(doc(`kind: BGPPeer\nmetadata: { name: p }\nspec: ${spec}\n`)).join("\n")).toMatch(pattern);
  });

  it.each([
    ["an unknown alias", `{ communities: [nope] }`, /BGPAdvertisement\/a: spec.communities\[0\]: "nope" is neither/],
    ["a malformed community", `{ communities: ["1:2:3"] }`, /BGPAdvertisement\/a: spec.communities\[0\]: "1:2:3" is not a community/],
    ["a 16-bit overflow", `{ communities: ["70000:1"] }`, /spec.communities\[0\]/],
    ["an aggregation length over 32", `{ aggregationLength: 33 }`, /BGPAdvertisement\/a: spec.aggregationLength/],
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

// localASN (a vipmesh extension): the ASN used toward one peer instead of myASN, like FRR's
// `neighbor ... local-as L no-prepend replace-as`. From the manifest to the OPEN and the AS_PATH of what is sent.
describe("BGPPeer localASN", () => {
  const peerDoc = (spec: string): string => doc(`kind: BGPPeer\nmetadata: { name: p }\nspec: ${spec}\n`);
  const sessionOf = (spec: string) => {
    const peer = parseManifests(peerDoc(spec)).bgp?.peers[0];
    if (!peer) throw new Error("no peer");
    return sessionFor(peer, { routerId: "198.18.0.10", restartTimeS: 120 }).peer;
  };
  const firstAnnouncement = (config: PeerConfig, peerAsn: number): UpdateMessage | undefined => {
    let p = initialPeer(config, desiredRoutes([["198.18.8.1/32", {}]]));
    const actions: SessionAction[] = [];
    const open: PeerInput = { type: "message", message: { type: "open", asn: peerAsn, holdTime: 90, bgpId: "198.18.0.1", capabilities: [{ kind: "fourOctetAs", asn: peerAsn }] } };
    const inputs: PeerInput[] = [{ type: "start" }, { type: "tcpConnected", localAddress: "198.18.0.10" }, open, { type: "message", message: { type: "keepalive" } }];
    for (const [i, input] of inputs.entries()) {
      const r = stepPeer(p, input, i);
      p = r.state;
      actions.push(...r.actions);
    }
    const sent = actions.flatMap((a) => (a.type === "send" ? [a.message] : []));
    expect(sent[0]).toMatchObject({ type: "open" });
    return sent.find((m): m is UpdateMessage => m.type === "update" && m.nlri.length > 0);
  };

  it("is read when set and absent when not (configurations without it keep their shape and hash)", () => {
    expect(parseManifests(peerDoc(`{ myASN: 64512, localASN: 4200000001, peerASN: 64600, peerAddress: "198.18.2.1" }`)).bgp?.peers[0]?.localASN).toBe(4200000001);
    expect(parseManifests(peerDoc(`{ myASN: 64512, peerASN: 64600, peerAddress: "198.18.2.1" }`)).bgp?.peers[0]).not.toHaveProperty("localASN");
  });

  it.each([
    ["0", `{ myASN: 1, localASN: 0, peerASN: 2, peerAddress: "198.18.2.1" }`, /spec.localASN/],
    ["above 32 bits", `{ myASN: 1, localASN: 4294967296, peerASN: 2, peerAddress: "198.18.2.1" }`, /spec.localASN/],
    ["ebgpMultiHop toward a peer whose ASN is localASN (iBGP)", `{ myASN: 1, localASN: 2, peerASN: 2, ebgpMultiHop: true, peerAddress: "198.18.2.1" }`, /spec.ebgpMultiHop: cannot be set for an iBGP peer/],
  ])("rejects localASN %s", (_name, spec, want) => {
    expect(problems(peerDoc(spec)).join("\n")).toMatch(want);
  });

  it("ebgpMultiHop is fine toward a peer of myASN when localASN makes the session eBGP", () => {
    expect(problems(peerDoc(`{ myASN: 1, localASN: 3, peerASN: 1, ebgpMultiHop: true, peerAddress: "198.18.2.1" }`))).toEqual([]);
  });

  it("the session presents localASN in the OPEN (AS_TRANS plus the 4-octet capability) and in the AS_PATH, never myASN", () => {
    const config = sessionOf(`{ myASN: 64512, localASN: 4200000001, peerASN: 64600, peerAddress: "198.18.2.1" }`);
    expect(config.session.localAsn).toBe(4200000001);
    const open = localOpen(config.session);
    expect(open.asn).toBe(23456);
    expect(open.capabilities).toContainEqual({ kind: "fourOctetAs", asn: 4200000001 });
    expect(firstAnnouncement(config, 64600)?.attributes.asPath).toEqual([{ type: "sequence", asns: [4200000001] }]);
  });

  it("iBGP or eBGP is decided against localASN: a peer in localASN is internal (empty AS_PATH, LOCAL_PREF)", () => {
    const config = sessionOf(`{ myASN: 64512, localASN: 64700, peerASN: 64700, peerAddress: "198.18.2.1" }`);
    const update = firstAnnouncement(config, 64700);
    expect(update?.attributes).toMatchObject({ asPath: [], localPref: 100 });
  });

  it("without localASN the session uses myASN", () => {
    expect(sessionOf(`{ myASN: 64512, peerASN: 64600, peerAddress: "198.18.2.1" }`).session.localAsn).toBe(64512);
  });

  it("travels through ConfigApplied: the speaker acts on the configuration as the log has it", () => {
    const config = parseManifests(peerDoc(`{ myASN: 64512, localASN: 4200000001, peerASN: 64600, peerAddress: "198.18.2.1" }`));
    const bytes = encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config } });
    const decoded = decodeEvent(bytes, { stream: "EVENTS", seq: 1, time: 1, subject: "vipmesh.config.file" });
    expect(decoded.ok && decoded.event.type === "ConfigApplied" ? decoded.event.data.config.bgp?.peers[0]?.localASN : null).toBe(4200000001);
  });

  it("is written as ConfigApplied v4 only when a peer has it; v3 otherwise, and a v3 reader never sees localASN", () => {
    const version = (spec: string): unknown => {
      const config = parseManifests(peerDoc(spec));
      return (JSON.parse(new TextDecoder().decode(encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config } }))) as { v: unknown }).v;
    };
    expect(version(`{ myASN: 64512, localASN: 65001, peerASN: 64600, peerAddress: "198.18.2.1" }`)).toBe(4);
    expect(version(`{ myASN: 64512, peerASN: 64600, peerAddress: "198.18.2.1" }`)).toBe(3);
    // A v3 payload carrying localASN (never written) does not smuggle it in: v3 has no such field.
    const config = parseManifests(peerDoc(`{ myASN: 64512, localASN: 65001, peerASN: 64600, peerAddress: "198.18.2.1" }`));
    const v3 = new TextEncoder().encode(JSON.stringify({ type: "ConfigApplied", v: 3, data: { source: "file", hash: "h", config } }));
    const decoded = decodeEvent(v3, { stream: "EVENTS", seq: 1, time: 1, subject: "vipmesh.config.file" });
    expect(decoded.ok && decoded.event.type === "ConfigApplied" ? decoded.event.data.config.bgp?.peers[0] : null).not.toHaveProperty("localASN");
  });
});
