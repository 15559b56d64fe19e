import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  nextDueAt,
  startAnnouncing,
  startAnnouncingAll,
  stopAnnouncing,
  stopAnnouncingAll,
  takeDue,
  validateAnnounceSettings,
} from "../../src/protocols/l2/announceSchedule.js";
import type { AnnounceSchedule, AnnounceSettings } from "../../src/protocols/l2/announceSchedule.js";

const BURST = [0, 50, 250, 1_100, 2_100];
const settings: AnnounceSettings = { burstMs: BURST, refreshMs: 30_000 };

type Input = { at: number; start?: string; stop?: string };

/** Runs inputs plus a perfect timer (fires exactly at nextDueAt) until `until`; returns [time, key] announcements. */
function simulate(inputs: readonly Input[], until: number, s: AnnounceSettings = settings): Array<[number, string]> {
  const out: Array<[number, string]> = [];
  let schedule: AnnounceSchedule = new Map();
  const pending = [...inputs];
  for (;;) {
    const timer = nextDueAt(schedule);
    const input = pending[0];
    const now = Math.min(timer ?? Infinity, input?.at ?? Infinity);
    if (now > until) return out;
    if (input !== undefined && input.at === now) {
      pending.shift();
      if (input.start !== undefined) schedule = startAnnouncing(schedule, input.start, now, s);
      if (input.stop !== undefined) schedule = stopAnnouncing(schedule, input.stop);
      continue;
    }
    const r = takeDue(schedule, now, s);
    schedule = r.schedule;
    for (const key of r.due) out.push([now, key]);
  }
}

describe("announce schedule scenarios", () => {
  it("a takeover announces in a burst, then every refresh period", () => {
    expect(simulate([{ at: 1_000, start: "vip" }], 100_000)).toEqual(
      [1_000, 1_050, 1_250, 2_100, 3_100, 33_100, 63_100, 93_100].map((t) => [t, "vip"]),
    );
  });

  it("refresh 0 stops after the burst and forgets the key", () => {
    const s = { burstMs: BURST, refreshMs: 0 };
    expect(simulate([{ at: 0, start: "vip" }], 1_000_000, s).map(([t]) => t)).toEqual(BURST);
    const after = BURST.reduce((sch, at) => takeDue(sch, at, s).schedule, startAnnouncing(new Map(), "vip", 0, s));
    expect(after.size).toBe(0);
  });

  it("no burst: only the refresh", () => {
    expect(simulate([{ at: 0, start: "vip" }], 35_000, { burstMs: [], refreshMs: 10_000 })).toEqual([
      [10_000, "vip"],
      [20_000, "vip"],
      [30_000, "vip"],
    ]);
  });

  it("a stop ends announcements; a new start is a new takeover with a new burst", () => {
    const got = simulate([{ at: 0, start: "vip" }, { at: 100, stop: "vip" }, { at: 10_000, start: "vip" }], 12_200);
    expect(got.map(([t]) => t)).toEqual([0, 50, 10_000, 10_050, 10_250, 11_100, 12_100]);
  });

  it("keys keep their own phase", () => {
    const got = simulate([{ at: 0, start: "a" }, { at: 7_000, start: "b" }], 40_000, { burstMs: [0], refreshMs: 15_000 });
    expect(got).toEqual([
      [0, "a"],
      [7_000, "b"],
      [15_000, "a"],
      [22_000, "b"],
      [30_000, "a"],
      [37_000, "b"],
    ]);
  });

  it("a late caller announces once and skips the missed steps, staying in phase", () => {
    let schedule = startAnnouncing(new Map(), "vip", 0, settings);
    const late = takeDue(schedule, 1_200, settings);
    expect(late.due).toEqual(["vip"]);
    expect(nextDueAt(late.schedule)).toBe(2_100);
    schedule = takeDue(late.schedule, 5_000_000, settings).schedule; // the process slept for over an hour
    expect(nextDueAt(schedule)).toBe(2_100 + 167 * 30_000);
  });

  it("nothing is due before its time, and an unchanged schedule is returned as is", () => {
    const schedule = startAnnouncing(new Map(), "vip", 500, settings);
    const r = takeDue(schedule, 499, settings);
    expect(r.due).toEqual([]);
    expect(r.schedule).toBe(schedule);
    expect(stopAnnouncing(schedule, "other")).toBe(schedule);
    expect(nextDueAt(new Map())).toBeUndefined();
  });

  it("validates its settings", () => {
    expect(() => validateAnnounceSettings({ burstMs: [0, 50, 20], refreshMs: 0 })).toThrow("burstMs[2]");
    expect(() => validateAnnounceSettings({ burstMs: [-1], refreshMs: 0 })).toThrow("burstMs[0]");
    expect(() => validateAnnounceSettings({ burstMs: [0], refreshMs: Number.NaN })).toThrow("refreshMs");
    expect(validateAnnounceSettings(settings)).toBe(settings);
  });

  it("property: whenever the caller wakes, each key is due at most once and its next time is after now", () => {
    const settingsArb = fc.record({
      burstMs: fc.array(fc.nat(5_000), { maxLength: 6 }).map((a) => a.sort((x, y) => x - y)),
      refreshMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 60_000 })),
    });
    fc.assert(
      fc.property(settingsArb, fc.array(fc.nat(200_000), { minLength: 1, maxLength: 30 }), (s, wakes) => {
        let schedule = startAnnouncing(startAnnouncing(new Map(), "a", 0, s), "b", 333, s);
        for (const now of wakes.sort((x, y) => x - y)) {
          const before = schedule;
          const r = takeDue(schedule, now, s);
          expect(new Set(r.due).size).toBe(r.due.length);
          for (const key of r.due) expect(before.get(key)!.dueAt).toBeLessThanOrEqual(now);
          for (const entry of r.schedule.values()) expect(entry.dueAt).toBeGreaterThan(now);
          schedule = r.schedule;
        }
      }),
    );
  });
});

describe("starting and stopping many keys at once (a takeover of thousands of VIPs copies the schedule once)", () => {
  it("gives the schedule one call per key would give, and leaves the input alone", () => {
    fc.assert(fc.property(fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e"), { maxLength: 5 }), fc.uniqueArray(fc.constantFrom("a", "b", "c", "x"), { maxLength: 4 }), fc.integer({ min: 0, max: 10_000 }), (start, stop, now) => {
      const base = startAnnouncing(new Map(), "a", 0, settings);
      const oneByOne = stop.reduce((sch, k) => stopAnnouncing(sch, k), start.reduce((sch, k) => startAnnouncing(sch, k, now, settings), base));
      expect([...stopAnnouncingAll(startAnnouncingAll(base, start, now, settings), stop)]).toEqual([...oneByOne]);
      expect([...base.keys()]).toEqual(["a"]);
    }));
    const schedule = startAnnouncing(new Map(), "vip", 0, settings);
    expect(startAnnouncingAll(schedule, [], 5, settings)).toBe(schedule);
    expect(stopAnnouncingAll(schedule, ["other"])).toBe(schedule);
  });
});
