import { describe, expect, it } from "vitest";
import { configProblems } from "../../src/config/configProblems.js";
import { checkManifests } from "../../src/config/parseManifests.js";
import { RULE_CASES, type RuleCase } from "../support/configRuleCases.js";

// Every rule of docs/validation.md through the pure checker that the file source, the ingest and `vipmesh validate`
// share: the problem names object and field, has the right severity, and is the only error of its case.

describe("configuration rules: the shared checker", () => {
  it.each(RULE_CASES.map((c): [string, RuleCase] => [c.rule, c]))("%s", (_rule, c) => {
    const problems = configProblems(checkManifests(c.yaml));
    const found = problems.find((p) => p.object === c.object && p.field === c.field);
    expect(found, JSON.stringify(problems, null, 2)).toBeDefined();
    expect(found?.severity).toBe(c.severity);
    expect(found?.reason).toContain(c.reason);
    const errors = problems.filter((p) => p.severity === "error");
    expect(errors, JSON.stringify(errors, null, 2)).toHaveLength(c.severity === "error" ? 1 : 0);
  });

  it("the cases are valid once each rule's offending object is removed", () => {
    for (const c of RULE_CASES) {
      const kept = c.yaml.split("---\n").filter((d) => !d.includes(`name: ${c.object.split("/").at(-1) ?? ""}\n`));
      expect(checkManifests(kept.join("---\n")).problems, c.rule).toEqual([]);
    }
  });
});
