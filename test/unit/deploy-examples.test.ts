import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parseManifests, ConfigError } from "../../src/config/parseManifests.js";

// The examples shipped in deploy/ must stay true to the code that reads them.

describe("deploy/examples", () => {
  it("l2-config.yaml parses into the pools, advertisement, services and endpoints it describes", () => {
    const config = parseManifests(readFileSync(new URL("../../deploy/examples/l2-config.yaml", import.meta.url), "utf8"));
    expect(config.pools.map((p) => p.name)).toEqual(["production"]);
    expect(config.l2Advertisements[0]?.interfaces).toEqual(["eth0"]);
    expect(config.services.map((s) => [s.name, s.requestedIps, s.externalTrafficPolicy])).toEqual([
      ["web", ["198.18.0.200"], "Cluster"],
      ["api", ["198.18.0.201"], "Local"],
    ]);
    expect(config.services[1]?.readyEndpointNodes).toEqual(["node1"]);
  });

  it("an invalid configuration names the object and field", () => {
    const bad = "kind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: [\"198.18.0.9-198.18.0.1\"] }\n";
    expect(() => parseManifests(bad)).toThrow(ConfigError);
    expect(() => parseManifests(bad)).toThrow(/IPAddressPool\/p: spec.addresses\[0\]: .*start is after its end/);
  });
});
