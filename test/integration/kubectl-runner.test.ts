import { afterEach, describe, expect, it } from "vitest";
import { runKubectl } from "../../src/testing/kubeApiServer.js";
import { kubeBinaries } from "../../src/testing/kubePaths.js";

// runKubectl, which every Kubernetes test drives kubectl with: a kubectl that exits without reading its standard input
// (a quick refusal, a command that takes none) must not raise an uncaught EPIPE in the test process.

const uncaught: unknown[] = [];
const record = (err: unknown): void => void uncaught.push(err);
afterEach(() => {
  process.off("uncaughtException", record);
});

describe("runKubectl", () => {
  it("resolves with kubectl's exit and raises nothing when kubectl ignores the input it is given", async () => {
    process.on("uncaughtException", record);
    const input = "x".repeat(8 * 1024 * 1024); // more than a pipe buffers: the write fails once kubectl has exited
    for (let i = 0; i < 3; i++) {
      const r = await runKubectl(kubeBinaries().kubectl, "/nonexistent-kubeconfig", ["version", "--client"], input);
      expect(r.code).toBe(0);
    }
    await new Promise((r) => setTimeout(r, 200));
    expect(uncaught).toEqual([]);
  });
});
