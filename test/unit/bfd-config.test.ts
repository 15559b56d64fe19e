import { describe, expect, it } from "vitest";
import { acceptValidParts } from "../../src/config/partialConfig.js";
import { parseManifests } from "../../src/config/parseManifests.js";
import type { ClusterConfig } from "../../src/config/types.js";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import type { EventMeta } from "../../src/events/types.js";

// BFDProfile objects and BGPPeer.bfdProfile on their way to the log: the profiles a peer names travel in the BGP
// configuration (ConfigApplied v5), and a configuration without BFD is written exactly as before.

const NS = "metallb-system";
const META: EventMeta = { stream: "EVENTS", seq: 1, time: 1, subject: "vipmesh.config.file" };
const POOL = `kind: IPAddressPool\nmetadata: { name: lab, namespace: ${NS} }\nspec: { addresses: ["198.18.8.0/24"] }\n`;
const peerDoc = (name: string, extra: string): string => `kind: BGPPeer\nmetadata: { name: ${name}, namespace: ${NS} }\nspec: { myASN: 64512, peerASN: 64500, peerAddress: "198.18.2.1"${extra} }\n`;
const profileDoc = (name: string, spec: string): string => `kind: BFDProfile\nmetadata: { name: ${name}, namespace: ${NS} }\nspec: ${spec}\n`;
const docs = (...parts: string[]): string => [POOL, ...parts].join("---\n");

function decodedConfig(bytes: Uint8Array): ClusterConfig | null {
  const d = decodeEvent(bytes, META);
  return d.ok && d.event.type === "ConfigApplied" ? d.event.data.config : null;
}

describe("BFDProfile in the configuration", () => {
  it("a peer's bfdProfile and the profile it names, with only the fields the object sets", () => {
    const config = parseManifests(docs(peerDoc("router", `, bfdProfile: fast`), profileDoc("fast", `{ receiveInterval: 50, transmitInterval: 60, detectMultiplier: 4, echoMode: true, minimumTtl: 250 }`)));
    expect(config.bgp?.peers[0]?.bfdProfile).toBe("fast");
    expect(config.bgp?.bfdProfiles).toEqual([{ name: "fast", receiveInterval: 50, transmitInterval: 60, detectMultiplier: 4, echoMode: true, passiveMode: false, minimumTtl: 250 }]);
  });

  it("only profiles some peer names are carried; no peer naming one means no bfdProfiles and no bfdProfile field", () => {
    const config = parseManifests(docs(peerDoc("a", `, bfdProfile: x`), peerDoc("b", `, bfdProfile: ""`), profileDoc("x", "{}"), profileDoc("unused", "{ passiveMode: true }")));
    expect(config.bgp?.bfdProfiles?.map((p) => p.name)).toEqual(["x"]);
    expect(config.bgp?.peers[1]).not.toHaveProperty("bfdProfile");
    const none = parseManifests(docs(peerDoc("a", ""), profileDoc("x", "{}")));
    expect(none.bgp).not.toHaveProperty("bfdProfiles");
    expect(none.bgp?.peers[0]).not.toHaveProperty("bfdProfile");
  });

  it("is written as ConfigApplied v5 when a peer names a profile, and reads back unchanged", () => {
    const config = parseManifests(docs(peerDoc("router", `, localASN: 65001, bfdProfile: fast`), profileDoc("fast", `{ receiveInterval: 50 }`)));
    const bytes = encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config } });
    expect((JSON.parse(new TextDecoder().decode(bytes)) as { v: number }).v).toBe(5);
    expect(decodedConfig(bytes)).toEqual(config);
  });

  it("a v5 payload whose peer names a profile it does not carry is refused as bad data", () => {
    const config = parseManifests(docs(peerDoc("router", `, bfdProfile: fast`), profileDoc("fast", "{}")));
    const broken = { ...config, bgp: { peers: config.bgp?.peers, advertisements: [] } };
    const d = decodeEvent(new TextEncoder().encode(JSON.stringify({ type: "ConfigApplied", v: 5, data: { source: "file", hash: "h", config: broken } })), META);
    expect(d.ok ? "decoded" : d.invalid.reason).toBe("bad-data");
  });

  // Payloads as vipmesh wrote them before BFD reached the log: they decode to the same configuration, and a
  // configuration without BFD is encoded to the very same bytes (so its hash, message id and version are unchanged).
  const PEER_V3 = {
    name: "router", myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null,
    holdTimeMs: null, keepaliveTimeMs: null, connectTimeMs: null, password: null, ebgpMultiHop: false, nodeSelectors: [],
    enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null,
  };
  const FIXTURES = {
    v3: `{"type":"ConfigApplied","v":3,"data":{"source":"file","hash":"h","config":{"pools":[{"name":"lab","addresses":["198.18.8.0/24"],"autoAssign":true,"avoidBuggyIPs":false,"labels":{},"serviceAllocation":null}],"l2Advertisements":[],"services":[],"nodes":[],"namespaces":[],"bgp":{"peers":[${JSON.stringify(PEER_V3)}],"advertisements":[]}}}}`,
    v4: `{"type":"ConfigApplied","v":4,"data":{"source":"file","hash":"h","config":{"pools":[{"name":"lab","addresses":["198.18.8.0/24"],"autoAssign":true,"avoidBuggyIPs":false,"labels":{},"serviceAllocation":null}],"l2Advertisements":[],"services":[],"nodes":[],"namespaces":[],"bgp":{"peers":[${JSON.stringify({ ...PEER_V3, localASN: 65001 })}],"advertisements":[]}}}}`,
  };

  it.each(Object.entries(FIXTURES))("an old %s payload decodes without BFD and is re-encoded byte for byte", (_v, text) => {
    const config = decodedConfig(new TextEncoder().encode(text));
    expect(config?.bgp?.peers[0]).not.toHaveProperty("bfdProfile");
    expect(config?.bgp).not.toHaveProperty("bfdProfiles");
    if (!config) throw new Error("not decoded");
    expect(new TextDecoder().decode(encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config } }))).toBe(text);
  });

  it("a v3 payload brings no field of a later schema into the configuration (the v3 schema once listed bgpConfigV4 as a field)", () => {
    const payload = JSON.parse(FIXTURES.v3) as { data: { config: Record<string, unknown> } };
    payload.data.config["bgpConfigV4"] = { peers: [{ ...PEER_V3, localASN: 65001 }], advertisements: [] };
    expect(decodedConfig(new TextEncoder().encode(JSON.stringify(payload)))).not.toHaveProperty("bgpConfigV4");
  });

  it("the file source builds those same configurations (a BFDProfile nobody names changes nothing)", () => {
    const v3 = parseManifests(docs(peerDoc("router", ""), profileDoc("unused", "{}")));
    const text = new TextDecoder().decode(encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config: v3 } }));
    expect(text).toBe(FIXTURES.v3);
  });
});

describe("a bad BFDProfile edit", () => {
  const where = (objects: readonly unknown[]) => (i: number, kind: string): string => `${kind}/${NS}/${(objects[i] as { metadata: { name: string } }).metadata.name}`;
  const pool = { kind: "IPAddressPool", metadata: { name: "a", namespace: NS }, spec: { addresses: ["198.18.0.0/28"] } };
  const peer = { kind: "BGPPeer", metadata: { name: "p", namespace: NS }, spec: { myASN: 64500, peerASN: 64501, peerAddress: "198.18.1.1", bfdProfile: "fast" } };
  const profile = (spec: Record<string, unknown>) => ({ kind: "BFDProfile", metadata: { name: "fast", namespace: NS }, spec });

  it("keeps the profile's last good form serving, and the peer's pairing with it", () => {
    const good = acceptValidParts([pool, peer, profile({ receiveInterval: 50 })], where([pool, peer, profile({})]), null);
    expect(good?.config.bgp?.bfdProfiles).toEqual([{ name: "fast", receiveInterval: 50, echoMode: false, passiveMode: false }]);
    const objects = [pool, peer, profile({ receiveInterval: 50, detectMultiplier: 1 })];
    const r = acceptValidParts(objects, where(objects), good?.config ?? null);
    expect(r?.ignored).toContain(`BFDProfile/${NS}/fast`);
    expect(r?.config.bgp?.peers[0]?.bfdProfile).toBe("fast");
    expect(r?.config.bgp?.bfdProfiles).toEqual([{ name: "fast", receiveInterval: 50, echoMode: false, passiveMode: false }]);
  });
});
