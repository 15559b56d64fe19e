// The pure core of the watcher design (design.md, "Membership: watchers and verdicts"): who watches whom, the verdict
// projection's acceptance rules, and Lifeguard's widening. Not yet wired into the speaker.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { healthScore, mayDeclareDead, MAX_HEALTH_SCORE, widenedTimeout } from "../../src/projections/members/lifeguard.js";
import { applyJoin, applyVerdict, emptyVerdicts, type MemberVerdict, type VerdictKind } from "../../src/projections/members/verdicts.js";
import { designatedWatchers, nextOwners, ringWatchers } from "../../src/projections/members/watchers.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

const roster = Array.from({ length: 40 }, (_, i) => `node${i + 1}`);
const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/), { minLength: 2, maxLength: 30 });

describe("who watches whom", () => {
  it("each node is watched by k other nodes of the roster, the same whatever the roster's order", () => {
    fc.assert(fc.property(names, fc.integer({ min: 1, max: 5 }), (nodes, k) => {
      for (const target of nodes) {
        const w = ringWatchers(target, nodes, k);
        expect(w).not.toContain(target);
        expect(new Set(w).size).toBe(Math.min(k, nodes.length - 1));
        expect(ringWatchers(target, [...nodes].reverse(), k)).toEqual(w);
      }
    }));
  });

  it("a node joining changes only the rings it ranks into, and takes one place in each", () => {
    fc.assert(fc.property(names, (nodes) => {
      const [joiner, ...rest] = nodes;
      if (joiner === undefined) return;
      for (const target of rest) {
        const before = ringWatchers(target, rest, 3);
        const after = ringWatchers(target, nodes, 3);
        if (after.includes(joiner)) expect(after.filter((n) => n !== joiner).every((n) => before.includes(n))).toBe(true);
        else expect(after).toEqual(before);
      }
    }));
  });

  it("every node watches a few others, not the cluster: 40 nodes, k = 3, no node watches more than 12", () => {
    const load = new Map<string, number>();
    for (const t of roster) for (const w of ringWatchers(t, roster, 3)) load.set(w, (load.get(w) ?? 0) + 1);
    expect([...load.values()].reduce((a, b) => a + b, 0)).toBe(120);
    expect(Math.max(...load.values())).toBeLessThanOrEqual(12);
  });

  it("an owner is also watched by the nodes the plan names as the next owners of its VIPs", () => {
    const sim = new SimCluster();
    sim.applyConfig(labConfig(6));
    for (const n of ["node1", "node2", "node3", "node4"]) sim.addNode(n);
    sim.run(1_000);
    const owner = sim.owners()["198.18.8.1"] ?? "";
    const next = nextOwners(owner, sim.view.log, sim.view.members, sim.settings);
    expect(next.length).toBeGreaterThan(0);
    expect(next).not.toContain(owner);
    const watchers = designatedWatchers(owner, [...sim.nodes.keys()], sim.view.log, sim.view.members, sim.settings, 1);
    for (const n of next) expect(watchers).toContain(n);
    // When the owner really dies, its VIPs go to exactly those nodes.
    sim.kill(owner);
    sim.run(1_000);
    const takers = new Set(Object.entries(sim.owners()).filter(([vip]) => vip !== "").map(([, o]) => o));
    for (const n of next) expect(takers.has(n)).toBe(true);
  });
});

const verdict = (kind: VerdictKind, over: Partial<MemberVerdict> = {}): MemberVerdict => ({
  kind, target: "a", watcher: "b", incarnation: 4, position: 10, evidence: { lastReplyAt: 100, probes: 5, indirect: [{ via: "c", replied: false }], watcherHealth: 0 }, ...over,
});
const watchersOfA = (target: string): readonly string[] => (target === "a" ? ["b", "c"] : []);

describe("the verdict projection", () => {
  const cases: [name: string, v: MemberVerdict, refusal: string | null][] = [
    ["a designated watcher's verdict for the current incarnation counts", verdict("NodeDeclaredDead"), null],
    ["a node that is not a watcher of the target", verdict("NodeDeclaredDead", { watcher: "z" }), "not-a-watcher"],
    ["an older incarnation", verdict("NodeDeclaredDead", { incarnation: 3 }), "stale-incarnation"],
    ["a position after the verdict's own", verdict("NodeSuspected", { position: 99 }), "future-position"],
    ["a node judging itself dead", verdict("NodeDeclaredDead", { watcher: "a" }), "self-verdict"],
    ["a refutation at the same incarnation", verdict("NodeAlive", { watcher: "a" }), "refutation-not-higher"],
    ["a refutation at a higher incarnation", verdict("NodeAlive", { watcher: "a", incarnation: 5 }), null],
    ["a target never seen", verdict("NodeSuspected", { target: "q" }), "unknown-target"],
  ];
  for (const [name, v, refusal] of cases) {
    it(name, () => {
      const state = emptyVerdicts();
      applyJoin(state, "a", 4, 1);
      expect(applyVerdict(state, v, 20, watchersOfA)).toBe(refusal);
      if (refusal !== null) expect(state.refused[refusal as keyof typeof state.refused]).toBe(1);
    });
  }

  it("the first death verdict for an incarnation wins; the node's refutation at a higher incarnation brings it back", () => {
    const state = emptyVerdicts();
    applyJoin(state, "a", 4, 1);
    expect(applyVerdict(state, verdict("NodeSuspected"), 11, watchersOfA)).toBeNull();
    expect(applyVerdict(state, verdict("NodeDeclaredDead"), 12, watchersOfA)).toBeNull();
    expect(applyVerdict(state, verdict("NodeDeclaredDead", { watcher: "c" }), 13, watchersOfA)).toBe("already-dead");
    expect(state.targets["a"]).toMatchObject({ incarnation: 4, status: "dead", by: "b", seq: 12, lastReplyAt: 100 });
    expect(applyVerdict(state, verdict("NodeAlive", { watcher: "a", incarnation: 5 }), 14, watchersOfA)).toBeNull();
    expect(state.targets["a"]).toMatchObject({ incarnation: 5, status: "alive", by: "a", seq: 14 });
    expect(applyVerdict(state, verdict("NodeDeclaredDead"), 15, watchersOfA)).toBe("stale-incarnation");
  });

  it("property: only designated watchers (or the node itself, refuting) ever change a node's verdict", () => {
    const arb = fc.array(fc.record({
      kind: fc.constantFrom<VerdictKind>("NodeSuspected", "NodeDeclaredDead", "NodeAlive"),
      watcher: fc.constantFrom("a", "b", "c", "x"),
      incarnation: fc.integer({ min: 3, max: 7 }),
      position: fc.integer({ min: 0, max: 60 }),
    }), { maxLength: 40 });
    fc.assert(fc.property(arb, (vs) => {
      const state = emptyVerdicts();
      applyJoin(state, "a", 4, 1);
      let highest = 4;
      vs.forEach((v, i) => {
        const before = structuredClone(state.targets["a"]);
        const refusal = applyVerdict(state, verdict(v.kind, v), 2 + i * 2, watchersOfA);
        const after = state.targets["a"];
        if (refusal !== null) return expect(after).toEqual(before);
        expect(v.watcher === "a" ? v.kind === "NodeAlive" && v.incarnation > highest : ["b", "c"].includes(v.watcher)).toBe(true);
        highest = Math.max(highest, after?.incarnation ?? 0);
      });
    }));
  });
});

describe("Lifeguard: local health widens timeouts, and a starved watcher does not judge", () => {
  it("scores lateness, capped", () => {
    expect([0, 10, 25, 60, 1_000].map((ms) => healthScore(ms))).toEqual([0, 0, 1, 2, MAX_HEALTH_SCORE]);
  });

  it("widens the timeout by the worse of the target's and the watcher's scores, up to the maximum, never narrows it", () => {
    expect(widenedTimeout(300, 700, 0, 0)).toBe(300);
    expect(widenedTimeout(300, 700, 2, 0)).toBe(400);
    expect(widenedTimeout(300, 700, 0, 3)).toBe(450);
    expect(widenedTimeout(300, 700, MAX_HEALTH_SCORE, 0)).toBe(700);
    fc.assert(fc.property(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 20 }), (t, w) => {
      const ms = widenedTimeout(300, 700, t, w);
      return ms >= 300 && ms <= 700;
    }));
  });

  it("a watcher whose own timers run late declares nobody dead", () => {
    expect(mayDeclareDead(healthScore(20))).toBe(true);
    expect(mayDeclareDead(healthScore(100))).toBe(false);
  });
});
