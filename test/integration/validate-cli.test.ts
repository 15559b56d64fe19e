import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { ConfigProblem } from "../../src/config/configProblems.js";
import { RULE_CASES, type RuleCase } from "../support/configRuleCases.js";

// The compiled `bin/vipmesh validate` (npm run build first) on every rule of docs/validation.md, from a file and from
// standard input: what it prints, and its exit status.

const BIN = fileURLToPath(new URL("../../bin/vipmesh", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "vipmesh-validate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Run = { code: number | null; stdout: string; stderr: string };

function vipmesh(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const VALID = "kind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: [198.18.0.0/24] }\n---\nkind: L2Advertisement\nmetadata: { name: l2 }\n";

type Report = { files: string[]; valid: boolean; problems: ConfigProblem[] };

describe("vipmesh validate", () => {
  it.each(RULE_CASES.map((c, i): [string, RuleCase, number] => [c.rule, c, i]))("%s", async (_rule, c, i) => {
    const json = await vipmesh(["validate", "--json", "-f", "-"], c.yaml);
    expect(json.code, json.stderr).toBe(c.severity === "error" ? 1 : 0);
    const report = JSON.parse(json.stdout) as Report;
    expect(report.valid).toBe(c.severity !== "error");
    expect(report.problems).toContainEqual(expect.objectContaining({ severity: c.severity, object: c.object, field: c.field, reason: expect.stringContaining(c.reason) }));

    const text = await vipmesh(["validate", "-f", file(`case-${i}.yaml`, c.yaml)]);
    expect(text.stdout).toContain(`${c.severity}: ${c.object}: ${c.field}: `);
    expect(text.stdout).toMatch(c.severity === "error" ? /case-\d+\.yaml: invalid \([1-9]/ : /case-\d+\.yaml: valid \(0 errors, [1-9]/);
    if (c.severity === "warning") expect((await vipmesh(["validate", "--strict", "-f", "-"], c.yaml)).code).toBe(1);
  });

  it("a valid file exits 0, also with --strict", async () => {
    const r = await vipmesh(["validate", "--strict", "-f", file("valid.yaml", VALID)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("valid.yaml: valid (0 errors, 0 warnings)");
  });

  it("checks several files together, as one configuration", async () => {
    const pools = file("pools.yaml", "kind: IPAddressPool\nmetadata: { name: p }\nspec: { addresses: [198.18.0.0/24] }\n");
    const ads = file("ads.yaml", "kind: L2Advertisement\nmetadata: { name: l2 }\nspec: { ipAddressPools: [p] }\n");
    const together = await vipmesh(["validate", "--strict", "-f", pools, ads]);
    expect(together.code, together.stdout).toBe(0);
    expect(together.stdout).toContain("pools.yaml, ");
    const alone = await vipmesh(["validate", "-f", ads]);
    expect(alone.stdout).toContain('warning: L2Advertisement/l2: spec.ipAddressPools[0]: no IPAddressPool "p"');
  });

  it("fails for a file that does not exist, naming it", async () => {
    const missing = join(dir, "missing.yaml");
    const r = await vipmesh(["validate", "-f", file("ok.yaml", VALID), missing]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`error: ${missing}: the file does not exist`);
  });

  it("reports an empty file and unparsable YAML as errors", async () => {
    const empty = await vipmesh(["validate", "-f", "-"], "# only a comment\n");
    expect(empty.code).toBe(1);
    expect(empty.stdout).toContain("error: (file): the file holds no objects");
    const broken = await vipmesh(["validate", "-f", "-"], `${VALID}---\nkind: [\n`);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toMatch(/error: document 3: YAML: /);
  });

  it("warns about a field the CRD does not have (kubectl would refuse it, the file source ignores it)", async () => {
    const r = await vipmesh(["validate", "-f", "-"], `${VALID.replace("metadata: { name: l2 }", "metadata: { name: l2 }\nspec: { interface: [eth0] }")}`);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("warning: L2Advertisement/l2: spec.interface: unknown field");
  });

  it("without -f it says what is missing", async () => {
    const r = await vipmesh(["validate"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("-f, --filename");
  });

  it("is listed in --help", async () => {
    const r = await vipmesh(["--help"]);
    expect(r.stdout).toMatch(/validate \[options\]/);
    expect(r.stdout).toContain("vipmesh validate -f");
  });
});
