import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEFAULT_MEMBERSHIP_SETTINGS, validateMembershipSettings } from "../../src/projections/settings.js";
import { DEFAULT_JUDGE_SETTINGS, initialJudge, judgeSettingsFor, judgeSettingsProblems, stepJudge, timeoutsFor, type JudgeAction, type JudgeInput, type JudgedVerdict, type JudgeState } from "../../src/protocols/membership/judge.js";

// The watcher's judge as scenarios: inputs in, actions out, no real time passing. A driver ticks every 10 ms (as the
// adapter does) and plays the nodes: those alive ack every ping at once; relays answer as scripted.

const TICK = 10;
const S = DEFAULT_JUDGE_SETTINGS;

type World = {
  /** Nodes that answer direct pings (from this watcher). */
  reachable: Set<string>;
  /** Nodes that answer when a relay pings them. */
  reachableViaRelays: Set<string>;
  health: Record<string, number>;
  incarnation: Record<string, number>;
  /** Nodes that answer but say they do not reach the log (fenced). */
  cutOff: Set<string>;
};

class Scenario {
  state: JudgeState = initialJudge();
  now = 0;
  readonly verdicts: (JudgedVerdict & { at: number })[] = [];
  readonly actions: (JudgeAction & { at: number })[] = [];

  constructor(readonly world: World) {}

  step(input: JudgeInput): void {
    const { state, actions } = stepJudge(this.state, input);
    this.state = state;
    for (const a of actions) {
      this.actions.push({ ...a, at: this.now });
      if (a.kind === "verdict") this.verdicts.push({ ...a.verdict, at: this.now });
    }
    for (const a of actions) this.answer(a);
  }

  watch(nodes: string[]): void {
    this.step({ kind: "watch", now: this.now, targets: nodes.map((node) => ({ node, incarnation: this.world.incarnation[node] ?? 1 })) });
  }

  run(untilMs: number): void {
    while (this.now < untilMs) {
      this.now += TICK;
      this.step({ kind: "tick", now: this.now });
    }
  }

  private report(node: string): { targetIncarnation: number; health: number; reachesLog: boolean } {
    return { targetIncarnation: this.world.incarnation[node] ?? 1, health: this.world.health[node] ?? 0, reachesLog: !this.world.cutOff.has(node) };
  }

  private answer(a: JudgeAction): void {
    if (a.kind === "ping" && this.world.reachable.has(a.target)) this.step({ kind: "ack", now: this.now, from: a.target, ...this.report(a.target) });
    if (a.kind === "ping-req" && this.world.reachable.has(a.via)) {
      const replied = this.world.reachableViaRelays.has(a.target);
      const r = replied ? this.report(a.target) : { targetIncarnation: 0, health: 0, reachesLog: false };
      this.step({ kind: "relayed", now: this.now, via: a.via, target: a.target, replied, ...r });
    }
  }
}

const world = (nodes: string[]): World => ({ reachable: new Set(nodes), reachableViaRelays: new Set(nodes), health: {}, incarnation: {}, cutOff: new Set() });
const kill = (w: World, node: string): void => {
  w.reachable.delete(node);
  w.reachableViaRelays.delete(node);
};

describe("the judge pings every watched node each interval", () => {
  it("sends one ping per node per 50 ms and judges nobody while they answer", () => {
    const sc = new Scenario(world(["b", "c", "d"]));
    sc.watch(["b", "c", "d"]);
    sc.run(1_000);
    const pings = sc.actions.filter((a) => a.kind === "ping");
    // The first ping goes at the first tick, then one every 50 ms: 10, 50, 100, ..., 1000.
    expect(pings.filter((p) => p.kind === "ping" && p.target === "b")).toHaveLength(21);
    expect(pings).toHaveLength(63);
    expect(sc.verdicts).toEqual([]);
  });
});

describe("a dead node", () => {
  it("is suspected at 150 ms, probed through two others, and declared dead 250-300 ms after its last reply", () => {
    const w = world(["b", "c", "d"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c", "d"]);
    sc.run(500);
    const lastReply = sc.state.targets.b?.lastReplyAt ?? NaN;
    kill(w, "b");
    sc.run(1_500);
    expect(sc.verdicts.map((v) => v.kind)).toEqual(["NodeSuspected", "NodeDeclaredDead"]);
    const [suspected, dead] = sc.verdicts;
    expect(suspected?.at).toBe(lastReply + 150);
    expect(sc.actions.filter((a) => a.kind === "ping-req").map((a) => a.kind === "ping-req" && [a.via, a.target])).toEqual([["c", "b"], ["d", "b"]]);
    expect(dead?.at).toBeGreaterThanOrEqual(lastReply + 250);
    expect(dead?.at).toBeLessThanOrEqual(lastReply + 300);
    expect(dead).toMatchObject({ target: "b", incarnation: 1, evidence: { lastReplyAt: lastReply, probes: 5, indirect: [{ via: "c", replied: false }, { via: "d", replied: false }], watcherHealth: 0 } });
  });

  it("is declared dead even when the relays never answer (they count as no reply after the indirect timeout)", () => {
    const w = world(["b", "c"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    sc.run(500);
    const lastReply = sc.state.targets.b?.lastReplyAt ?? NaN;
    kill(w, "b");
    w.reachable.delete("c"); // c gets the request but its answer is lost
    sc.run(400 + lastReply);
    const dead = sc.verdicts.find((v) => v.kind === "NodeDeclaredDead" && v.target === "b");
    expect(dead?.at).toBeLessThanOrEqual(lastReply + 300);
    expect(dead?.evidence.indirect).toEqual([{ via: "c", replied: false }]);
  });

  it("with nobody else to ask, is declared dead on direct silence alone", () => {
    const w = world(["b"]);
    const sc = new Scenario(w);
    sc.watch(["b"]);
    sc.run(200);
    kill(w, "b");
    sc.run(1_000);
    expect(sc.verdicts.map((v) => v.kind)).toEqual(["NodeSuspected", "NodeDeclaredDead"]);
    expect(sc.verdicts[1]?.evidence.indirect).toEqual([]);
  });

  it("that never answered is judged from when watching began", () => {
    const w = world(["c"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    sc.run(1_000);
    expect(sc.verdicts.find((v) => v.kind === "NodeDeclaredDead")).toMatchObject({ target: "b", at: 250, evidence: { lastReplyAt: null } });
  });

  it("is judged dead once, and pinged no more", () => {
    const w = world(["b", "c"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    sc.run(100);
    kill(w, "b");
    sc.run(2_000);
    expect(sc.verdicts.filter((v) => v.kind === "NodeDeclaredDead")).toHaveLength(1);
    const deadAt = sc.verdicts[1]?.at ?? 0;
    expect(sc.actions.filter((a) => a.kind === "ping" && a.target === "b" && a.at > deadAt)).toEqual([]);
  });
});

describe("a slow node is not a dead one", () => {
  it("a node only the relays reach (the watcher's link to it is cut) is suspected once and never declared dead", () => {
    const w = world(["b", "c", "d"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c", "d"]);
    sc.run(300);
    w.reachable.delete("b");
    sc.run(5_000);
    expect(sc.verdicts.map((v) => v.kind)).toEqual(["NodeSuspected"]);
    expect(sc.actions.filter((a) => a.kind === "ping-req").length).toBeGreaterThan(20);
  });

  it("a node reporting health 8 is declared dead only after 700 ms of silence", () => {
    const w = world(["b", "c"]);
    w.health.b = 8;
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    sc.run(300);
    const lastReply = sc.state.targets.b?.lastReplyAt ?? NaN;
    kill(w, "b");
    sc.run(2_000);
    const dead = sc.verdicts.find((v) => v.kind === "NodeDeclaredDead");
    expect(sc.verdicts[0]).toMatchObject({ kind: "NodeSuspected", at: lastReply + 600 });
    expect(dead?.at).toBeGreaterThanOrEqual(lastReply + 700);
    expect(dead?.at).toBeLessThanOrEqual(lastReply + 750);
  });

  it("a node that misses two pings is not suspected", () => {
    const w = world(["b", "c"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    sc.run(300);
    kill(w, "b");
    sc.run(380);
    w.reachable.add("b");
    w.reachableViaRelays.add("b");
    sc.run(2_000);
    expect(sc.verdicts).toEqual([]);
  });

  it("a suspect that answers before its dead timeout is not declared dead", () => {
    const w = world(["b", "c"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    sc.run(300);
    kill(w, "b");
    sc.run(480);
    w.reachable.add("b");
    w.reachableViaRelays.add("b");
    sc.run(2_000);
    expect(sc.verdicts.map((v) => v.kind)).toEqual(["NodeSuspected"]);
    expect(sc.state.targets.b).toMatchObject({ suspectedAt: null, dead: false, probes: 0 });
  });
});

describe("a node cut off from the log", () => {
  it("answers every probe but says it does not reach the log (it fenced): judged dead as if silent", () => {
    const w = world(["b", "c", "d"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c", "d"]);
    sc.run(500);
    const lastReply = sc.state.targets.b?.lastReplyAt ?? NaN;
    w.cutOff.add("b");
    sc.run(1_500);
    expect(sc.verdicts.map((v) => [v.kind, v.target])).toEqual([["NodeSuspected", "b"], ["NodeDeclaredDead", "b"]]);
    const dead = sc.verdicts[1];
    expect(dead?.at).toBeLessThanOrEqual(lastReply + 300);
    // The relays reached it, and it told them it is cut off: no reply that counts.
    expect(dead?.evidence.indirect).toEqual([{ via: "c", replied: false }, { via: "d", replied: false }]);
    expect(dead?.evidence.lastReplyAt).toBe(lastReply);
  });

  it("is not judged while the watcher does not reach the log either (an outage for both changes nothing)", () => {
    const w = world(["b", "c"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    sc.run(300);
    sc.step({ kind: "log", reaches: false });
    w.cutOff.add("b");
    w.cutOff.add("c");
    sc.run(2_000);
    expect(sc.verdicts).toEqual([]);
    // The watcher reaches the log again and they still do not: they are judged from then on.
    sc.step({ kind: "log", reaches: true });
    sc.run(2_400);
    expect(sc.verdicts.filter((v) => v.kind === "NodeDeclaredDead").map((v) => v.target).sort()).toEqual(["b", "c"]);
  });
});

describe("a starved watcher", () => {
  it("suspects at once but declares death only at the widest timeout while its own score is 4 or more", () => {
    for (const score of [4, 6, 8]) {
      const w = world(["b", "c"]);
      const sc = new Scenario(w);
      sc.watch(["b", "c"]);
      sc.run(200);
      sc.step({ kind: "health", score });
      const lastReply = sc.state.targets.b?.lastReplyAt ?? 0;
      kill(w, "b");
      sc.run(3_000);
      expect(sc.verdicts.map((v) => v.kind)).toEqual(["NodeSuspected", "NodeDeclaredDead"]);
      const dead = sc.verdicts.find((v) => v.kind === "NodeDeclaredDead");
      expect(dead?.evidence.watcherHealth).toBe(score);
      expect(dead?.evidence.starved?.widestMs).toBe(S.maxDeadAfterMs);
      expect(dead?.evidence.starved?.silentForMs).toBeGreaterThanOrEqual(S.maxDeadAfterMs);
      // Not at its widened timeout (475 ms at score 4): at the widest, whatever its score.
      expect(dead?.at).toBeGreaterThanOrEqual(lastReply + S.maxDeadAfterMs);
      expect(dead?.at).toBeLessThanOrEqual(lastReply + S.maxDeadAfterMs + TICK);
      // The relays were asked, and said no, within the last deadAfter.
      expect(dead?.evidence.indirect).toEqual([{ via: "c", replied: false }]);
    }
  });

  it("a starved watcher whose node answers again declares nothing", () => {
    const w = world(["b", "c"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    sc.run(200);
    sc.step({ kind: "health", score: 5 });
    kill(w, "b");
    sc.run(200 + S.maxDeadAfterMs - 100);
    w.reachable.add("b");
    w.reachableViaRelays.add("b");
    sc.run(3_000);
    expect(sc.verdicts.map((v) => v.kind)).toEqual(["NodeSuspected"]);
  });

  it("widens its own timeouts by its score", () => {
    expect(timeoutsFor({ health: 0 }, 0, S)).toEqual({ suspectAt: 150, deadAt: 250 });
    expect(timeoutsFor({ health: 0 }, 4, S)).toEqual({ suspectAt: 375, deadAt: 475 });
    expect(timeoutsFor({ health: 2 }, 8, S)).toEqual({ suspectAt: 600, deadAt: 700 });
  });
});

describe("incarnations", () => {
  it("a new incarnation from the log resets the judgement: a dead node is watched again from scratch", () => {
    const w = world(["b", "c"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    sc.run(100);
    kill(w, "b");
    sc.run(1_000);
    expect(sc.verdicts.map((v) => v.kind)).toEqual(["NodeSuspected", "NodeDeclaredDead"]);
    w.incarnation.b = 2;
    sc.watch(["b", "c"]);
    expect(sc.state.targets.b).toMatchObject({ incarnation: 2, dead: false, lastReplyAt: null, suspectedAt: null });
    w.reachable.add("b");
    sc.run(2_000);
    expect(sc.verdicts).toHaveLength(2);
    sc.run(2_010);
    kill(w, "b");
    sc.run(3_000);
    expect(sc.verdicts.slice(2).map((v) => [v.kind, v.incarnation])).toEqual([["NodeSuspected", 2], ["NodeDeclaredDead", 2]]);
  });

  it("an ack from an older incarnation is no sign of life", () => {
    const w = world(["b", "c"]);
    w.incarnation.b = 5;
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    w.incarnation.b = 4; // an old process answering (a paused one that woke up, say)
    sc.run(1_000);
    expect(sc.verdicts.filter((v) => v.target === "b").map((v) => [v.kind, v.incarnation])).toEqual([["NodeSuspected", 5], ["NodeDeclaredDead", 5]]);
  });

  it("an ack from a newer incarnation is a sign of life (the node restarted and is about to join again)", () => {
    const w = world(["b", "c"]);
    const sc = new Scenario(w);
    sc.watch(["b", "c"]);
    w.incarnation.b = 9;
    sc.run(1_000);
    expect(sc.verdicts).toEqual([]);
  });

  it("re-watching the same incarnation keeps the state; a node no longer watched is forgotten", () => {
    const sc = new Scenario(world(["b", "c"]));
    sc.watch(["b", "c"]);
    sc.run(100);
    const before = sc.state.targets.b;
    sc.watch(["b"]);
    expect(sc.state.targets.b).toBe(before);
    expect(sc.state.targets.c).toBeUndefined();
  });
});

describe("judge settings", () => {
  it("the defaults are valid, and are what the default membership settings give", () => {
    expect(judgeSettingsProblems(S)).toEqual([]);
    expect(judgeSettingsFor(DEFAULT_MEMBERSHIP_SETTINGS)).toEqual(S);
  });

  it("every valid membership setting gives valid judge settings (a slow beat, a short suspect timeout)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 1_000 }), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 0, max: 5_000 }), (interval, suspect, dead, extra) => {
        const m = { ...DEFAULT_MEMBERSHIP_SETTINGS, heartbeatIntervalMs: interval, suspectAfterMs: suspect, deadAfterMs: dead, maxDeadAfterMs: dead + extra, maxStepMs: interval };
        try {
          validateMembershipSettings(m);
        } catch {
          return;
        }
        const j = judgeSettingsFor(m);
        expect(judgeSettingsProblems(j)).toEqual([]);
        expect(j.deadAfterMs).toBeGreaterThanOrEqual(dead - interval);
      }),
    );
  });

  it.each([
    ["intervalMs", { intervalMs: 0 }, /intervalMs/],
    ["suspect after one lost ping", { suspectAfterMs: 60 }, /suspectAfterMs/],
    ["no time for indirect probes", { deadAfterMs: 200 }, /deadAfterMs/],
    ["a maximum below deadAfter", { maxDeadAfterMs: 200 }, /maxDeadAfterMs/],
    ["a fractional relay count", { indirectProbes: 1.5 }, /indirectProbes/],
  ])("refuses %s", (_name, change, field) => {
    expect(judgeSettingsProblems({ ...S, ...change }).join("\n")).toMatch(field);
  });
});

describe("judge properties", () => {
  it("a healthy watcher declares a dead node dead within its widened timeout (+ one tick), whatever its score and relays", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 100, max: 2_000 }), fc.subarray(["c", "d", "e"]), fc.boolean(), (score, dieAt, relays, relaysAnswer) => {
        const w = world(["b", ...relays]);
        w.health.b = score;
        if (!relaysAnswer) for (const r of relays) w.reachable.delete(r);
        const sc = new Scenario(w);
        sc.watch(["b", ...relays]);
        sc.run(dieAt);
        const lastReply = sc.state.targets.b?.lastReplyAt ?? 0;
        kill(w, "b");
        sc.run(dieAt + 2_000);
        const dead = sc.verdicts.find((v) => v.kind === "NodeDeclaredDead" && v.target === "b");
        const { deadAt } = timeoutsFor({ health: score }, 0, S);
        expect(dead?.at).toBeGreaterThanOrEqual(lastReply + deadAt);
        expect(dead?.at).toBeLessThanOrEqual(lastReply + deadAt + TICK);
      }),
    );
  });

  it("never declares a node dead that acked within deadAfter, whatever the order of inputs", () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant("tick" as const), dt: fc.integer({ min: 0, max: 120 }) }),
      fc.record({ kind: fc.constant("ack" as const), node: fc.constantFrom("b", "c", "d") }),
      fc.record({ kind: fc.constant("relayed" as const), via: fc.constantFrom("b", "c", "d"), target: fc.constantFrom("b", "c", "d"), replied: fc.boolean() }),
      fc.record({ kind: fc.constant("health" as const), score: fc.integer({ min: 0, max: 8 }) }),
    );
    fc.assert(
      fc.property(fc.array(event, { maxLength: 200 }), (events) => {
        let state = initialJudge();
        let now = 0;
        const lastLife: Record<string, number> = { b: 0, c: 0, d: 0 };
        state = stepJudge(state, { kind: "watch", now, targets: ["b", "c", "d"].map((node) => ({ node, incarnation: 1 })) }).state;
        for (const e of events) {
          if (e.kind === "tick") now += e.dt;
          const input: JudgeInput = e.kind === "tick" ? { kind: "tick", now }
            : e.kind === "health" ? e
            : e.kind === "ack" ? { kind: "ack", now, from: e.node, targetIncarnation: 1, health: 0, reachesLog: true }
            : { kind: "relayed", now, via: e.via, target: e.target, replied: e.replied, targetIncarnation: e.replied ? 1 : 0, health: 0, reachesLog: e.replied };
          const step = stepJudge(state, input);
          if (e.kind === "ack" && !state.targets[e.node]?.dead) lastLife[e.node] = now;
          for (const a of step.actions) {
            if (a.kind === "verdict" && a.verdict.kind === "NodeDeclaredDead") expect(now - (lastLife[a.verdict.target] ?? 0)).toBeGreaterThanOrEqual(S.deadAfterMs);
          }
          state = step.state;
        }
      }),
    );
  });
});
