import { availableParallelism } from "node:os";
import { describe, expect, it } from "vitest";
import { parseFailoverArgs } from "../../src/bench/failover.js";

describe("failover bench arguments", () => {
  it("defaults to 30 trials and one CPU hog per core", () => {
    expect(parseFailoverArgs([])).toEqual({ trials: 30, hogs: availableParallelism() });
  });
  it("takes trials and --hogs in either order; 0 hogs turns the load off", () => {
    expect(parseFailoverArgs(["15", "--hogs", "0"])).toEqual({ trials: 15, hogs: 0 });
    expect(parseFailoverArgs(["--hogs", "3", "20"])).toEqual({ trials: 20, hogs: 3 });
  });
  it("refuses a hog count or trial count that is not a whole number", () => {
    expect(() => parseFailoverArgs(["--hogs", "-1"])).toThrow(/--hogs \(-1\)/);
    expect(() => parseFailoverArgs(["--hogs"])).toThrow(/--hogs \(missing\)/);
    expect(() => parseFailoverArgs(["x"])).toThrow(/trials \(x\)/);
  });
});
