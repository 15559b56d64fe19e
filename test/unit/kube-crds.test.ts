import { readFileSync, readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { renderCrds } from "../../src/kube/crds/index.js";

// deploy/crds is generated from src/kube/crds; this fails when one was edited without the other.

const dir = new URL("../../deploy/crds/", import.meta.url);

describe("deploy/crds", () => {
  it("is what src/kube/crds renders (regenerate: npm run build && node dist/kube/crds/write.js)", () => {
    const rendered = renderCrds();
    expect(readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()).toEqual(rendered.map((r) => r.file).sort());
    for (const { file, text } of rendered) expect(readFileSync(new URL(file, dir), "utf8"), file).toBe(text);
  });
});
