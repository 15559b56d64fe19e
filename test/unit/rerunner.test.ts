import { describe, expect, it } from "vitest";
import { Rerunner } from "../../src/agents/rerunner.js";

// One run at a time; requests during a run coalesce into one more run; a failing run is reported and not the last.

const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 20));

describe("Rerunner", () => {
  it("coalesces a burst of requests during a run into one more run", async () => {
    let runs = 0;
    let release: () => void = () => undefined;
    const runner = new Rerunner(async () => {
      runs++;
      if (runs === 1) await new Promise<void>((r) => (release = r));
    }, () => undefined);
    runner.schedule();
    await settle();
    for (let i = 0; i < 10; i++) runner.schedule();
    release();
    await settle();
    expect(runs).toBe(2);
  });

  it("runs once more when the job asks, and reports a failure without stopping", async () => {
    const seen: string[] = [];
    let runs = 0;
    const runner = new Rerunner(async () => {
      runs++;
      if (runs === 1) runner.rerun();
      if (runs === 2) throw new Error("conflict");
    }, (err) => seen.push(err.message));
    runner.schedule();
    await settle();
    expect(runs).toBe(2);
    expect(seen).toEqual(["conflict"]);
    runner.schedule();
    await settle();
    expect(runs).toBe(3);
  });
});
