import { describe, expect, it } from "vitest";
import { VERSION, versionLine } from "../../src/cli/version.js";

describe("vipmesh --version", () => {
  it("names the git commit of the build when one is known", () => {
    expect(versionLine("955d5be1c0ffee")).toBe(`${VERSION} (commit 955d5be1c0ffee)`);
  });

  it("is the package version alone when no commit is known (a build from a tarball)", () => {
    expect(versionLine(undefined)).toBe(VERSION);
    expect(VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});
