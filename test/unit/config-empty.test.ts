import { describe, expect, it } from "vitest";
import { checkManifests, ConfigError, parseManifests } from "../../src/config/parseManifests.js";

// An empty or truncated file is malformed input, never "a configuration with nothing in it" (issue 10, item 2).

const pool = "kind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: [198.18.0.0/24] }\n";
const service = "kind: Service\nmetadata: { name: web }\nspec: { type: LoadBalancer }\n";

describe("a file without objects is rejected, naming why", () => {
  it.each([
    ["an empty file", ""],
    ["only whitespace", "\n\n   \n"],
    ["only comments", "# pools go here\n# and services\n"],
    ["empty documents", "---\n---\n# nothing\n---\n"],
    ["a List cut after items:", "apiVersion: v1\nkind: List\nitems:\n"],
  ])("%s", (_name, text) => {
    expect(() => parseManifests(text)).toThrow(ConfigError);
    const problems = checkManifests(text).problems.join("\n");
    expect(problems).toMatch(/holds no objects|items:/);
    expect(problems).toContain("items: []");
  });

  it("a file cut in the middle of a document is rejected as YAML, and keeps no partial configuration", () => {
    const whole = `${pool}---\n${service}`;
    const cut = whole.slice(0, whole.indexOf("198.18.0.0") + 5);
    expect(() => parseManifests(cut)).toThrow(/document 1: YAML/);
  });

  it("a List with objects is not read (only the explicit empty form is)", () => {
    expect(() => parseManifests(`apiVersion: v1\nkind: List\nitems:\n- ${pool.replaceAll("\n", "\n  ")}`)).toThrow(/document 1 \(List\): items: only `items: \[\]`/);
  });
});

describe("removing everything takes a document that says so", () => {
  it("kind: List with items: [] is an empty configuration, marked as deliberate", () => {
    const checked = checkManifests("apiVersion: v1\nkind: List\nitems: []\n");
    expect(checked.problems).toEqual([]);
    expect(checked.removesEverything).toBe(true);
    expect(checked.config.services).toEqual([]);
    expect(checked.config.pools).toEqual([]);
  });

  it("an empty List beside other objects is not the remove-everything form", () => {
    const checked = checkManifests(`apiVersion: v1\nkind: List\nitems: []\n---\n${pool}`);
    expect(checked.problems).toEqual([]);
    expect(checked.removesEverything).toBe(false);
    expect(checked.config.pools.map((p) => p.name)).toEqual(["p"]);
  });

  it("an ordinary file is not marked", () => {
    expect(checkManifests(`${pool}---\n${service}`).removesEverything).toBe(false);
  });
});
