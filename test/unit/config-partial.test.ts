import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { acceptValidParts, problemReferences } from "../../src/config/partialConfig.js";
import type { ClusterConfig } from "../../src/config/types.js";

// The Kubernetes source ignores only the bad parts of a configuration: an object with a problem is left out and
// its entry in the last good configuration keeps serving; everything else applies.

const NS = "metallb-system";
const where = (objects: readonly unknown[]) => (i: number, kind: string): string => {
  const m = (objects[i] as { metadata: { name: string; namespace?: string } }).metadata;
  return `${kind}/${m.namespace ? `${m.namespace}/` : ""}${m.name}`;
};
const pool = (name: string, addresses: string[]) => ({ kind: "IPAddressPool", metadata: { name, namespace: NS }, spec: { addresses } });
const l2 = { kind: "L2Advertisement", metadata: { name: "l2", namespace: NS }, spec: {} };
const service = (name: string, annotations: Record<string, string> = {}) => ({
  kind: "Service",
  metadata: { name, namespace: "default", annotations },
  spec: { type: "LoadBalancer", ports: [{ port: 80, protocol: "TCP" }] },
});
const peer = (name: string, spec: Record<string, unknown> = {}) => ({ kind: "BGPPeer", metadata: { name, namespace: NS }, spec: { myASN: 64500, peerASN: 64501, peerAddress: "198.18.1.1", ...spec } });
const bgpAd = (communities: string[]) => ({ kind: "BGPAdvertisement", metadata: { name: "ad", namespace: NS }, spec: { communities } });
const community = (value: string) => ({ kind: "Community", metadata: { name: "tags", namespace: NS }, spec: { communities: [{ name: "edge", value }] } });
const secret = (password: string) => ({ kind: "Secret", metadata: { name: "peer-pw", namespace: NS }, type: "kubernetes.io/basic-auth", stringData: { password } });
const bfd = (name: string, spec: Record<string, unknown> = {}) => ({ kind: "BFDProfile", metadata: { name, namespace: NS }, spec });

function accept(objects: unknown[], lastGood: ClusterConfig | null = null) {
  const r = acceptValidParts(objects, where(objects), lastGood);
  if (!r) throw new Error("refused as a whole");
  return r;
}

describe("a configuration with bad parts", () => {
  it("applies a valid configuration whole", () => {
    const r = accept([pool("a", ["198.18.0.0/28"]), l2, service("web")]);
    expect(r.problems).toEqual([]);
    expect(r.ignored).toEqual([]);
    expect(r.config.services.map((s) => s.name)).toEqual(["web"]);
  });

  it("leaves out a new Service with a bad annotation and applies the rest", () => {
    const r = accept([pool("a", ["198.18.0.0/28"]), l2, service("web"), service("bad", { "metallb.io/loadBalancerIPs": "198.18.0.300" })]);
    expect(r.ignored).toEqual(["Service/default/bad"]);
    expect(r.problems.join("\n")).toMatch(/Service\/default\/bad: metadata.annotations.metallb.io\/loadBalancerIPs: invalid IP address "198.18.0.300"/);
    expect(r.config.services.map((s) => s.name)).toEqual(["web"]);
  });

  it("keeps the last good form of a Service whose edit is bad, so its IP request stays", () => {
    const good = accept([pool("a", ["198.18.0.0/28"]), l2, service("web", { "metallb.io/loadBalancerIPs": "198.18.0.5" })]).config;
    const r = accept([pool("a", ["198.18.0.0/28"]), l2, service("web", { "metallb.io/loadBalancerIPs": "198.18.0.5,bogus" })], good);
    expect(r.ignored).toEqual(["Service/default/web"]);
    expect(r.config.services).toEqual(good.services);
  });

  it.each([
    ["the new pool sorts first", "a-new", "b-old"],
    ["the new pool sorts last", "z-new", "b-old"],
  ])("ignores the pool that changed when two overlap (%s)", (_name, fresh, old) => {
    const good = accept([pool(old, ["198.18.0.0/28"]), l2]).config;
    const objects = [pool(old, ["198.18.0.0/28"]), pool(fresh, ["198.18.0.8/29"]), l2].sort((x, y) => x.metadata.name.localeCompare(y.metadata.name));
    const r = accept(objects, good);
    expect(r.ignored).toEqual([`IPAddressPool/${NS}/${fresh}`]);
    expect(r.problems.join("\n")).toMatch(/overlaps/);
    expect(r.config.pools.map((p) => p.name)).toEqual([old]);
  });

  it("keeps the old addresses of a pool edited to overlap another", () => {
    const good = accept([pool("a", ["198.18.0.0/28"]), pool("b", ["198.18.0.16/28"]), l2]).config;
    const r = accept([pool("a", ["198.18.0.0/28"]), pool("b", ["198.18.0.0/27"]), l2], good);
    expect(r.ignored).toEqual([`IPAddressPool/${NS}/b`]);
    expect(r.config.pools.find((p) => p.name === "b")?.addresses).toEqual(["198.18.0.16/28"]);
  });

  it("keeps an advertisement's resolved communities when the Community it names is deleted", () => {
    const base = [pool("a", ["198.18.0.0/28"]), peer("p"), bgpAd(["edge"])];
    const good = accept([...base, community("65000:100")]).config;
    const r = accept(base, good);
    expect(r.problems.join("\n")).toMatch(/BGPAdvertisement\/ad: spec.communities\[0\]: "edge" is neither a community nor a Community alias/);
    expect(r.ignored).toEqual([`BGPAdvertisement/${NS}/ad`]);
    expect(r.config.bgp?.advertisements[0]?.communities).toEqual(["65000:100"]);
  });

  it("ignores a bad Community value and keeps the advertisement that uses it as it was", () => {
    const base = [pool("a", ["198.18.0.0/28"]), peer("p"), bgpAd(["edge"])];
    const good = accept([...base, community("65000:100")]).config;
    const r = accept([...base, community("not-a-community")], good);
    expect(r.ignored).toContain(`Community/${NS}/tags`);
    expect(r.config.bgp?.advertisements[0]?.communities).toEqual(["65000:100"]);
    expect(r.config.bgp?.peers.map((p) => p.name)).toEqual(["p"]);
  });

  it("resolves a passwordSecret; a Secret made unusable leaves the peer's last good password reference in place", () => {
    const objects = [pool("a", ["198.18.0.0/28"]), peer("p", { passwordSecret: { name: "peer-pw" } })];
    const good = accept([...objects, secret("s3cret")]).config;
    const ref = { from: "secret", namespace: NS, name: "peer-pw", key: "password", sha256: createHash("sha256").update("s3cret").digest("hex") };
    expect(good.bgp?.peers[0]?.password).toEqual(ref);
    expect(JSON.stringify(good)).not.toContain("s3cret");
    const r = accept([...objects, secret("x".repeat(81))], good);
    expect(r.problems.join("\n")).toMatch(/Secret\/peer-pw: data.password: longer than 80/);
    expect(r.config.bgp?.peers[0]?.password).toEqual(ref);
    const missing = accept(objects, good);
    expect(missing.problems.join("\n")).toMatch(/BGPPeer\/p: spec.passwordSecret.name: no Secret "peer-pw"/);
    expect(missing.config.bgp?.peers[0]?.password).toEqual(ref);
  });

  it("checks BFDProfile references: a missing profile, echo mode on a multi-hop peer, bad profile fields", () => {
    const base = [pool("a", ["198.18.0.0/28"])];
    expect(accept([...base, peer("p", { bfdProfile: "fast" }), bfd("fast", { receiveInterval: 50 })]).problems).toEqual([]);
    const missing = accept([...base, peer("p", { bfdProfile: "fast" })]);
    expect(missing.problems).toEqual([`BGPPeer/p: spec.bfdProfile: no BFDProfile "fast"`]);
    expect(missing.ignored).toEqual([`BGPPeer/${NS}/p`]);
    const echo = accept([...base, peer("p", { bfdProfile: "echo", ebgpMultiHop: true }), bfd("echo", { echoMode: true })]);
    expect(echo.problems.join("\n")).toMatch(/BGPPeer\/p: spec.bfdProfile: BFDProfile\/echo has echoMode/);
    const bad = accept([...base, bfd("slow", { detectMultiplier: 1 })]);
    expect(bad.problems.join("\n")).toMatch(/BFDProfile\/metallb-system\/slow: spec.detectMultiplier/);
    expect(bad.ignored).toEqual([`BFDProfile/${NS}/slow`]);
  });

  it("reports an advertisement naming a missing peer and keeps its last good form", () => {
    const base = [pool("a", ["198.18.0.0/28"]), peer("p"), { ...bgpAd([]), spec: { peers: ["p"] } }];
    const good = accept(base).config;
    const r = accept([pool("a", ["198.18.0.0/28"]), peer("p"), { ...bgpAd([]), spec: { peers: ["p", "q"] } }], good);
    expect(r.problems).toEqual([`BGPAdvertisement/ad: spec.peers[1]: no BGPPeer "q"`]);
    expect(r.config.bgp?.advertisements[0]?.peers).toEqual(["p"]);
  });

  it("names the objects a problem refers to, subject first", () => {
    expect(problemReferences("IPAddressPool/b: spec.addresses[0]: 198.18.0.0/27 overlaps 198.18.0.0/28 of IPAddressPool/a")).toEqual([
      { kind: "IPAddressPool", namespace: null, name: "b" },
      { kind: "IPAddressPool", namespace: null, name: "a" },
    ]);
    expect(problemReferences("Service/default/web: spec.loadBalancerIP: x")).toEqual([{ kind: "Service", namespace: "default", name: "web" }]);
    expect(problemReferences("Secret/pw: type: must be kubernetes.io/basic-auth, not Opaque")).toEqual([{ kind: "Secret", namespace: null, name: "pw" }]);
  });
});
