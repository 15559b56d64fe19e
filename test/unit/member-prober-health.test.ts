import { describe, expect, it } from "vitest";
import { initialProberHealth, judgingScore, recordTick, reportedScore, type ProberHealth } from "../../src/protocols/membership/proberHealth.js";

// A prober's own timer lateness: a stall counts for the judge only while it could still hide the replies being
// judged (the last deadAfter), and for what its acks report as long as heartbeats would (1 s).

const S = { tickMs: 10, intervalMs: 50, deadAfterMs: 250 };

function ticks(h: ProberHealth, from: number, to: number): ProberHealth {
  for (let t = from; t <= to; t += S.tickMs) h = recordTick(h, t, S);
  return h;
}

describe("a prober's own health", () => {
  it("is 0 while its timer fires on time", () => {
    const h = ticks(initialProberHealth(0), 10, 2_000);
    expect([judgingScore(h), reportedScore(h)]).toEqual([0, 0]);
  });

  it("a 120 ms stall scores 4 (starved) for the judge for the next 250-300 ms, and in acks for a second", () => {
    let h = ticks(initialProberHealth(0), 10, 1_000);
    h = recordTick(h, 1_130, S); // the tick due at 1,010 fired at 1,130: 110 ms late
    expect([judgingScore(h), reportedScore(h)]).toEqual([4, 4]);
    h = ticks(h, 1_140, 1_380);
    expect(judgingScore(h)).toBe(4);
    h = ticks(h, 1_390, 1_450);
    expect(judgingScore(h)).toBe(0);
    expect(reportedScore(h)).toBe(4);
    h = ticks(h, 1_460, 2_200);
    expect(reportedScore(h)).toBe(0);
  });

  it("lateness within an interval counts once, at its worst", () => {
    let h = ticks(initialProberHealth(0), 10, 100);
    h = recordTick(h, 140, S); // 30 ms late
    h = recordTick(h, 200, S); // 50 ms late: the interval closes with its worst
    expect(judgingScore(h)).toBe(2);
  });
});
