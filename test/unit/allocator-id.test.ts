import { describe, expect, it } from "vitest";
import { AllocatorIdError, allocatorIdFromOptions } from "../../src/cli/allocatorIdOption.js";

// An allocator's identity ends every subject it claims on, so it must be one stable subject token.

describe("--allocator-id", () => {
  it("defaults to the host (or Pod) name, not a per-process value", () => {
    expect(allocatorIdFromOptions({}, "vipmesh-controller-7c9f-abcde")).toBe("vipmesh-controller-7c9f-abcde");
    expect(allocatorIdFromOptions({}, "host1.example")).toBe("host1.example");
  });

  it("takes --allocator-id first, then the former --id", () => {
    expect(allocatorIdFromOptions({ allocatorId: "a1", id: "old" }, "h")).toBe("a1");
    expect(allocatorIdFromOptions({ id: "old" }, "h")).toBe("old");
  });

  it.each(["a b", "a*", "a>", "a_b", ""])("refuses %j, naming the flag", (id) => {
    expect(() => allocatorIdFromOptions({ allocatorId: id }, "h")).toThrow(AllocatorIdError);
    expect(() => allocatorIdFromOptions({ allocatorId: id }, "h")).toThrow(/--allocator-id/);
  });
});
