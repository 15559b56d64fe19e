import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { fileConfigSource } from "../../src/agents/speaker/configSource.js";
import { scaleManifests } from "../../src/bench/scale/scaleManifests.js";

// Agents read their --config file every 2 s. Parsing 10,000 Services took 1.1-1.6 s of CPU each time, in every
// speaker and allocator; the file is parsed again only when its text changed.

describe("the --config file source", () => {
  it("returns the configuration it parsed while the text is the same, and parses an edit", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "vipmesh-read-")), "config.yaml");
    writeFileSync(path, scaleManifests(3));
    const source = fileConfigSource(path);
    const first = await source.read();
    expect(first.config.services).toHaveLength(3);
    expect(await source.read()).toBe(first); // the same object: not parsed again
    writeFileSync(path, scaleManifests(4));
    const edited = await source.read();
    expect(edited.config.services).toHaveLength(4);
    expect(edited.hash).not.toBe(first.hash);
    writeFileSync(path, "kind: IPAddressPool\nmetadata: { name: bad }\nspec: { addresses: [not-an-address] }\n");
    await expect(source.read()).rejects.toThrow();
    writeFileSync(path, scaleManifests(4));
    expect((await source.read()).hash).toBe(edited.hash);
  });
});
