import { describe, expect, it } from "vitest";
import { configProblems, toConfigProblem } from "../../src/config/configProblems.js";
import { unknownFields } from "../../src/kube/crds/unknownFields.js";
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

describe("problems as data", () => {
  it.each([
    ["BGPPeer/peer1: spec.myASN: Too small: expected number to be >=1", { object: "BGPPeer/peer1", field: "spec.myASN", reason: "Too small: expected number to be >=1" }],
    ["Service/default/web: metadata.annotations.metallb.io/address-pool: no IPAddressPool \"x\"", { object: "Service/default/web", field: "metadata.annotations.metallb.io/address-pool", reason: 'no IPAddressPool "x"' }],
    ["L2Advertisement/l2: spec.interfaces[0]: Too big", { object: "L2Advertisement/l2", field: "spec.interfaces[0]", reason: "Too big" }],
    ["a.yaml document 2 (BGPPeer): (object): Invalid input", { object: "a.yaml document 2 (BGPPeer)", field: "(object)", reason: "Invalid input" }],
    ["document 3: YAML: bad indent: here", { object: "document 3", field: "YAML", reason: "bad indent: here" }],
    ["the file holds no objects (empty); to remove every object on purpose, write one document: `kind: List`", { object: "(file)", field: "", reason: "the file holds no objects (empty); to remove every object on purpose, write one document: `kind: List`" }],
  ])("%s", (text, expected) => {
    expect(toConfigProblem(text, "error")).toEqual({ severity: "error", ...expected });
  });
});

describe("fields the CRDs do not define", () => {
  it.each([
    ["a misspelled spec field", { apiVersion: "metallb.io/v1beta1", kind: "IPAddressPool", spec: { adresses: [] } }, ["spec.adresses"]],
    ["a misspelled selector field", { kind: "L2Advertisement", spec: { nodeSelectors: [{ matchLabel: {} }] } }, ["spec.nodeSelectors[0].matchLabel"]],
    ["a v1beta2 field on a v1beta1 BGPPeer", { apiVersion: "metallb.io/v1beta1", kind: "BGPPeer", spec: { dynamicASN: "external" } }, ["spec.dynamicASN"]],
    ["the same field on v1beta2", { apiVersion: "metallb.io/v1beta2", kind: "BGPPeer", spec: { dynamicASN: "external" } }, []],
    ["labels and annotations", { kind: "IPAddressPool", metadata: { name: "p", labels: { a: "b" } }, spec: { addresses: [] } }, []],
    ["a core kind", { kind: "Service", spec: { anything: 1 } }, []],
  ])("%s", (_name, raw, fields) => {
    expect(unknownFields(raw)).toEqual(fields);
  });
});
