import { describe, expect, it } from "vitest";
import { decidePublish, decodeConfigHash, dominates, encodeConfigHash, laggingKinds } from "../../src/kube/ingest/revisions.js";

// The monotonic guard of the Kubernetes source: a replica publishes only a view at least as new in every kind.

describe("revision vectors in the published hash", () => {
  it("round-trips and ignores hashes of other sources", () => {
    const hash = encodeConfigHash("abc123", [10n, 7n, 99999999999999999999n]);
    expect(hash).toBe("abc123@10.7.99999999999999999999");
    expect(decodeConfigHash(hash)).toEqual({ contentHash: "abc123", revisions: [10n, 7n, 99999999999999999999n] });
    expect(decodeConfigHash("3fa9e1")).toBeNull();
    expect(decodeConfigHash("x@1.a")).toBeNull();
  });

  it.each([
    { name: "equal", mine: [5n, 5n], logged: [5n, 5n], dominates: true, lagging: [] },
    { name: "newer in one kind", mine: [6n, 5n], logged: [5n, 5n], dominates: true, lagging: [] },
    { name: "newer in one, older in another", mine: [9n, 4n], logged: [5n, 5n], dominates: false, lagging: [1] },
    { name: "older everywhere", mine: [1n, 1n], logged: [5n, 5n], dominates: false, lagging: [0, 1] },
    { name: "a newer version watching more kinds, newer in the logged ones", mine: [9n, 9n, 1n], logged: [5n, 5n], dominates: true, lagging: [] },
    { name: "a newer version watching more kinds, behind in a logged one", mine: [4n, 9n, 1n], logged: [5n, 5n], dominates: false, lagging: [0] },
    { name: "an older version watching fewer kinds", mine: [9n, 9n], logged: [5n, 5n, 5n], dominates: false, lagging: [] },
  ])("$name", ({ mine, logged, dominates: d, lagging }) => {
    expect(dominates(mine, logged)).toBe(d);
    expect(laggingKinds(mine, logged)).toEqual(lagging);
  });

  it.each([
    { name: "nothing logged yet", content: "a", mine: [1n], logged: null, decision: "publish" },
    { name: "same content at another revision", content: "a", mine: [1n], logged: "a@9", decision: "unchanged" },
    { name: "new content, newer view", content: "b", mine: [10n], logged: "a@9", decision: "publish" },
    { name: "new content from a lagging view: never back to an older state", content: "b", mine: [8n], logged: "a@9", decision: "stale" },
    { name: "the log holds another source's hash", content: "b", mine: [1n], logged: "fileHash", decision: "publish" },
  ] as const)("$name: $decision", ({ content, mine, logged, decision }) => {
    expect(decidePublish(content, mine, logged)).toBe(decision);
  });
});
