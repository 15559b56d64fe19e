import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { dampeningProblems, penaltyAt, penaltyCeiling, recordFlap, reuseAt, settle, UNDAMPED, type DampeningConfig, type DampeningState } from "../../src/protocols/bfd/dampening.js";

// BFD flap dampening as a pure machine: a penalty per Up -> Down decaying with a half-life, suppress and reuse
// thresholds, a ceiling that bounds the suppression after the last flap. Times are milliseconds.

const C: DampeningConfig = { halfLifeMs: 10_000, penalty: 1000, suppressThreshold: 2000, reuseThreshold: 750, maxSuppressMs: 40_000 };

function flaps(c: DampeningConfig, times: readonly number[]): DampeningState {
  return times.reduce((s, t) => recordFlap(c, s, t), UNDAMPED);
}

describe("BFD flap dampening", () => {
  it("halves the penalty every half-life", () => {
    const s = recordFlap(C, UNDAMPED, 5_000);
    expect(penaltyAt(C, s, 5_000)).toBe(1000);
    expect(penaltyAt(C, s, 15_000)).toBeCloseTo(500, 9);
    expect(penaltyAt(C, s, 25_000)).toBeCloseTo(250, 9);
  });

  it.each<[string, number[], boolean]>([
    ["one flap stays below the suppress threshold", [0], false],
    ["two flaps at once reach it", [0, 0], true],
    ["two flaps a half-life apart do not (1500 < 2000)", [0, 10_000], false],
    ["three flaps within a few seconds do", [0, 2_000, 4_000], true],
  ])("%s", (_name, times, suppressed) => {
    expect(flaps(C, times).suppressed).toBe(suppressed);
  });

  it("a suppressed session is reused when the penalty has decayed to the reuse threshold, not before", () => {
    const s = flaps(C, [0, 1_000, 2_000]);
    const at = reuseAt(C, s) ?? 0;
    expect(penaltyAt(C, s, at)).toBeCloseTo(750, 6);
    expect(settle(C, s, at - 1).suppressed).toBe(true);
    const after = settle(C, s, at);
    expect(after.suppressed).toBe(false);
    expect(reuseAt(C, after)).toBeUndefined();
    // Trusted again with a penalty of 750: one more flap does not suppress it (1750), two do.
    expect(recordFlap(C, after, at + 1).suppressed).toBe(false);
    expect(flaps(C, [0, 1_000, 2_000]).penalty).toBeGreaterThan(2000);
  });

  it("caps the penalty so suppression never outlasts the maximum suppress time after the last flap", () => {
    const s = flaps(C, Array.from({ length: 50 }, (_, i) => i * 100));
    expect(s.penalty).toBeCloseTo(penaltyCeiling(C), 9);
    expect((reuseAt(C, s) ?? 0) - 4_900).toBeCloseTo(C.maxSuppressMs, 6);
  });

  it("property: suppressed exactly while the penalty is at or above reuse after reaching the suppress threshold; never longer than the maximum after the last flap", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 30_000 }), { minLength: 1, maxLength: 30 }), (gaps) => {
        let t = 0;
        let s = UNDAMPED;
        for (const gap of gaps) {
          t += gap;
          const before = settle(C, s, t);
          s = recordFlap(C, s, t);
          expect(s.penalty).toBeLessThanOrEqual(penaltyCeiling(C) + 1e-6);
          expect(s.suppressed).toBe(before.suppressed || s.penalty >= C.suppressThreshold);
          const end = reuseAt(C, s);
          if (end !== undefined) expect(end - t).toBeLessThanOrEqual(C.maxSuppressMs + 1e-6);
        }
        const end = reuseAt(C, s);
        if (end !== undefined) expect(settle(C, s, end).suppressed).toBe(false);
      }),
    );
  });

  it("property: settling is the same whether asked once or at every step in between", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 20 }), fc.array(fc.integer({ min: 1, max: 20_000 }), { maxLength: 10 }), (gaps, waits) => {
        let t = 0;
        let s = UNDAMPED;
        for (const gap of gaps) s = recordFlap(C, s, (t += gap));
        let stepped = s;
        let u = t;
        for (const w of waits) stepped = settle(C, stepped, (u += w));
        const once = settle(C, s, u);
        expect(stepped.suppressed).toBe(once.suppressed);
        expect(penaltyAt(C, stepped, u)).toBeCloseTo(penaltyAt(C, once, u), 6);
      }),
    );
  });

  it.each<[string, Partial<DampeningConfig>, string, RegExp]>([
    ["reuse at or above suppress", { reuseThreshold: 2000 }, "reuseThreshold", /below the suppress threshold \(2000\)/],
    ["a maximum suppress time the ceiling cannot reach suppress with", { maxSuppressMs: 10_000 }, "maxSuppressMs", /at least 14151 ms/],
    ["a half-life under a second", { halfLifeMs: 500 }, "halfLifeMs", /from 1000 to 86400000, not 500/],
    ["a zero penalty", { penalty: 0 }, "penalty", /from 1 to 1000000, not 0/],
    ["a fractional threshold", { suppressThreshold: 1500.5 }, "suppressThreshold", /whole number/],
  ])("refuses %s, naming the value", (_name, over, field, reason) => {
    const problems = dampeningProblems({ ...C, ...over });
    expect(problems.map((p) => p.field)).toEqual([field]);
    expect(problems[0]?.reason).toMatch(reason);
  });

  it("accepts the configuration of these tests", () => {
    expect(dampeningProblems(C)).toEqual([]);
  });
});
