import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { INVALID_CASES, type InvalidCase } from "../support/kubeInvalidCases.js";

// Each invalid metallb.io object is rejected by `kubectl apply` against the real API server (OpenAPI schema, CEL
// rules, strict field validation), with a message that names the field.

let api: KubeApiServer;

beforeAll(async () => {
  api = await startKubeApiServer();
  const ns = await api.kubectl(["create", "namespace", "metallb-system"]);
  expect(ns.stderr).toBe("");
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

async function applyOk(manifest: string, args: string[] = []): Promise<void> {
  const r = await api.kubectl(["apply", ...args, "-f", "-"], { input: manifest });
  expect(r.stderr, r.stderr).not.toMatch(/error/i);
  expect(r.code).toBe(0);
}

describe("invalid metallb.io objects are rejected at kubectl apply", () => {
  it("has at least 30 cases", () => {
    expect(INVALID_CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(INVALID_CASES.map((c): [string, InvalidCase] => [c.name, c]))("%s", async (_name, c) => {
    const statusArgs = c.status ? ["--server-side", "--subresource=status"] : [];
    if (c.before) {
      await applyOk(c.before);
      if (c.status) await applyOk(c.before, statusArgs);
    }
    const r = await api.kubectl(["apply", ...statusArgs, "-f", "-"], { input: c.manifest });
    expect(r.code, `accepted:\n${c.manifest}`).not.toBe(0);
    expect(r.stderr).toContain(c.field);
    expect(r.stderr).toContain(c.message);
  });
});
