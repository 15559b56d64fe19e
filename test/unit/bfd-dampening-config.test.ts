import { describe, expect, it } from "vitest";
import { dampeningFromAnnotations } from "../../src/config/bfdDampening.js";
import { acceptValidParts } from "../../src/config/partialConfig.js";
import { ConfigError, parseManifests } from "../../src/config/parseManifests.js";
import type { ClusterConfig } from "../../src/config/types.js";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import type { EventMeta } from "../../src/events/types.js";

// BFD flap dampening is set with vipmesh.io/bfd-dampening-* annotations on a BFDProfile (MetalLB ignores them); the
// values are validated with the annotation and the reason, and a profile with dampening travels as ConfigApplied v7.

const NS = "metallb-system";
const META: EventMeta = { stream: "EVENTS", seq: 1, time: 1, subject: "vipmesh.config.file" };
const POOL = `kind: IPAddressPool\nmetadata: { name: lab, namespace: ${NS} }\nspec: { addresses: ["198.18.8.0/24"] }\n`;
const PEER = `kind: BGPPeer\nmetadata: { name: router, namespace: ${NS} }\nspec: { myASN: 64512, peerASN: 64500, peerAddress: "198.18.2.1", bfdProfile: lab }\n`;
const profile = (annotations: Record<string, string>): string =>
  `kind: BFDProfile\nmetadata: { name: lab, namespace: ${NS}, annotations: ${JSON.stringify(annotations)} }\nspec: { receiveInterval: 100 }\n`;
const docs = (annotations: Record<string, string>): string => [POOL, PEER, profile(annotations)].join("---\n");
const H = "vipmesh.io/bfd-dampening-half-life";

describe("BFD dampening annotations", () => {
  it("are off without the half-life (MetalLB's behaviour): the profile is as before", () => {
    const config = parseManifests(docs({ "example.com/other": "x" }));
    expect(config.bgp?.bfdProfiles).toEqual([{ name: "lab", receiveInterval: 100, echoMode: false, passiveMode: false }]);
  });

  it("the half-life turns dampening on, with the defaults for the rest (RFC 2439's; max suppress four half-lives)", () => {
    expect(dampeningFromAnnotations({ [H]: "30s" })).toEqual({ dampening: { halfLifeMs: 30_000, penalty: 1000, suppressThreshold: 2000, reuseThreshold: 750, maxSuppressMs: 120_000 }, problems: [] });
    const config = parseManifests(docs({ [H]: "1m", "vipmesh.io/bfd-dampening-penalty": "500", "vipmesh.io/bfd-dampening-suppress-threshold": "1200", "vipmesh.io/bfd-dampening-reuse-threshold": "600", "vipmesh.io/bfd-dampening-max-suppress-time": "5m" }));
    expect(config.bgp?.bfdProfiles?.[0]?.dampening).toEqual({ halfLifeMs: 60_000, penalty: 500, suppressThreshold: 1200, reuseThreshold: 600, maxSuppressMs: 300_000 });
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ["a half-life that is no duration", { [H]: "soon" }, /metadata\.annotations\.vipmesh\.io\/bfd-dampening-half-life: must be a duration such as "30s" or "5m", not "soon"/],
    ["a threshold that is no whole number", { [H]: "30s", "vipmesh.io/bfd-dampening-penalty": "1e3" }, /bfd-dampening-penalty: must be a whole number, not "1e3"/],
    ["reuse at or above suppress", { [H]: "30s", "vipmesh.io/bfd-dampening-reuse-threshold": "2000" }, /bfd-dampening-reuse-threshold: must be below the suppress threshold \(2000\)/],
    ["a maximum suppress time the penalty can never reach suppress with", { [H]: "30s", "vipmesh.io/bfd-dampening-max-suppress-time": "30s" }, /bfd-dampening-max-suppress-time: 30000 ms is too short .* at least 42452 ms/],
    ["a half-life under a second", { [H]: "500ms" }, /bfd-dampening-half-life: must be from 1s to 24h, not 500 ms/],
    ["a setting without the half-life", { "vipmesh.io/bfd-dampening-penalty": "100" }, /bfd-dampening-penalty: has no effect without vipmesh\.io\/bfd-dampening-half-life/],
    ["a misspelt key", { [H]: "30s", "vipmesh.io/bfd-dampening-halflife": "30s" }, /bfd-dampening-halflife: unknown dampening setting/],
  ])("refuse %s with the annotation and the reason", (_name, annotations, message) => {
    let error: unknown;
    try {
      parseManifests(docs(annotations));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(message);
  });

  it("a refused edit keeps the profile's last good form serving", () => {
    const peer = { kind: "BGPPeer", metadata: { name: "p", namespace: NS }, spec: { myASN: 64500, peerASN: 64501, peerAddress: "198.18.1.1", bfdProfile: "lab" } };
    const objects = (annotations: Record<string, string>): unknown[] => [peer, { kind: "BFDProfile", metadata: { name: "lab", namespace: NS, annotations }, spec: {} }];
    const where = (i: number, kind: string): string => `${kind}/${i}`;
    const good = acceptValidParts(objects({ [H]: "30s" }), where, null);
    const r = acceptValidParts(objects({ [H]: "soon" }), where, good?.config ?? null);
    expect(r?.problems.join("\n")).toMatch(/BFDProfile\/1: metadata\.annotations\.vipmesh\.io\/bfd-dampening-half-life: must be a duration/);
    expect(r?.config.bgp?.bfdProfiles?.[0]?.dampening?.halfLifeMs).toBe(30_000);
  });

  it("a profile with dampening is written as ConfigApplied v7 and reads back unchanged; one without stays v5", () => {
    const encode = (config: ClusterConfig): Uint8Array => encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config } });
    const version = (bytes: Uint8Array): number => (JSON.parse(new TextDecoder().decode(bytes)) as { v: number }).v;
    const damped = parseManifests(docs({ [H]: "30s" }));
    const bytes = encode(damped);
    expect(version(bytes)).toBe(7);
    const d = decodeEvent(bytes, META);
    expect(d.ok && d.event.type === "ConfigApplied" ? d.event.data.config : null).toEqual(damped);
    expect(version(encode(parseManifests(docs({}))))).toBe(5);
  });

  it("a v7 payload whose dampening cannot work is refused as bad data", () => {
    const config = parseManifests(docs({ [H]: "30s" }));
    const profiles = config.bgp?.bfdProfiles?.map((p) => ({ ...p, dampening: { ...p.dampening, reuseThreshold: 5000 } }));
    const data = { source: "file", hash: "h", config: { ...config, bgp: { ...config.bgp, bfdProfiles: profiles } } };
    const d = decodeEvent(new TextEncoder().encode(JSON.stringify({ type: "ConfigApplied", v: 7, data })), META);
    expect(d.ok ? "decoded" : d.invalid.reason).toBe("bad-data");
  });
});
