import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { startKubeApiServer } from "../../src/testing/kubeApiServer.js";

// The test environment's life cycle: it stops and cleans up after itself, also when starting fails, and its API
// server can be stopped and started again over the same etcd (for API-outage tests).

const kubeDirs = (): string[] => readdirSync(tmpdir()).filter((d) => d.startsWith("vipmesh-kube-"));

/** Live processes whose command line mentions `text`. */
function processesWith(text: string): number[] {
  return readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, "utf8").includes(text);
      } catch {
        return false;
      }
    })
    .map(Number);
}

describe("the test API environment", () => {
  it("removes its processes and temp dir on stop", async () => {
    const api = await startKubeApiServer({ crdDir: null });
    expect(processesWith(api.dir).length).toBe(2); // etcd and kube-apiserver
    await api.stop();
    expect(existsSync(api.dir)).toBe(false);
    expect(processesWith(api.dir)).toEqual([]);
  });

  it("cleans up when starting fails (a CRD the API server rejects)", async () => {
    const bad = mkdtempSync(join(tmpdir(), "bad-crds-"));
    writeFileSync(join(bad, "bad.yaml"), "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: { name: things.example.com }\nspec: {}\n");
    const before = kubeDirs();
    const running = processesWith("vipmesh-kube-");
    try {
      await expect(startKubeApiServer({ crdDir: bad })).rejects.toThrow(/kubectl apply -f .* failed/);
    } finally {
      rmSync(bad, { recursive: true, force: true });
    }
    expect(kubeDirs()).toEqual(before);
    expect(processesWith("vipmesh-kube-").filter((p) => !running.includes(p))).toEqual([]);
  });

  it("restarts its API server over the same etcd", async () => {
    const api = await startKubeApiServer({ crdDir: null });
    try {
      expect((await api.kubectl(["create", "namespace", "kept"])).code).toBe(0);
      await api.stopApiServer();
      expect((await api.kubectl(["get", "namespace", "kept", "--request-timeout=2s"])).code).not.toBe(0);
      await api.startApiServer();
      expect((await api.kubectl(["get", "namespace", "kept", "-o", "name"])).stdout.trim()).toBe("namespace/kept");
    } finally {
      await api.stop();
    }
  });
});
