// Timer arithmetic: MetalLB's holdTime/keepaliveTime derivation, hold time negotiation, keepalive interval, backoff.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  TimerConfigError,
  backoffDelay,
  deriveTimers,
  jittered,
  keepaliveInterval,
  negotiateHoldTime,
  type PeerTimerSpec,
} from "../../src/protocols/bgp/timers.js";

// prettier-ignore
const derivations: ReadonlyArray<{ name: string; spec: PeerTimerSpec; holdTime: number; keepaliveMs: number; maxMs: number }> = [
  { name: "nothing set: 90 s hold, 30 s keepalive", spec: {}, holdTime: 90, keepaliveMs: 30_000, maxMs: 120_000 },
  { name: "holdTime only: keepalive = hold / 3", spec: { holdTimeMs: 9_000 }, holdTime: 9, keepaliveMs: 3_000, maxMs: 120_000 },
  { name: "holdTime 10 s: keepalive 3.333 s (not rounded to seconds)", spec: { holdTimeMs: 10_000 }, holdTime: 10, keepaliveMs: 3_333, maxMs: 120_000 },
  { name: "keepaliveTime only: hold = 3 * keepalive", spec: { keepaliveTimeMs: 20_000 }, holdTime: 60, keepaliveMs: 20_000, maxMs: 120_000 },
  { name: "both set", spec: { holdTimeMs: 180_000, keepaliveTimeMs: 10_000 }, holdTime: 180, keepaliveMs: 10_000, maxMs: 120_000 },
  { name: "hold 0 disables hold and keepalives", spec: { holdTimeMs: 0 }, holdTime: 0, keepaliveMs: 0, maxMs: 120_000 },
  { name: "hold 3.9 s truncates to 3 s on the wire", spec: { holdTimeMs: 3_900 }, holdTime: 3, keepaliveMs: 1_300, maxMs: 120_000 },
  { name: "connectTime caps the reconnect backoff", spec: { connectTimeMs: 30_000 }, holdTime: 90, keepaliveMs: 30_000, maxMs: 30_000 },
];

// prettier-ignore
const invalid: ReadonlyArray<{ name: string; spec: PeerTimerSpec; field: string }> = [
  { name: "hold 2 s", spec: { holdTimeMs: 2_000 }, field: "holdTime" },
  { name: "hold 2.9 s (truncates to 2)", spec: { holdTimeMs: 2_900 }, field: "holdTime" },
  { name: "keepalive 0.5 s only (hold 1.5 s)", spec: { keepaliveTimeMs: 500 }, field: "holdTime" },
  { name: "keepalive above hold", spec: { holdTimeMs: 9_000, keepaliveTimeMs: 10_000 }, field: "keepaliveTime" },
  { name: "hold above 65535 s", spec: { holdTimeMs: 65_536_000 }, field: "holdTime" },
  { name: "negative hold", spec: { holdTimeMs: -1 }, field: "holdTime" },
  { name: "connectTime 0", spec: { connectTimeMs: 0 }, field: "connectTime" },
  { name: "connectTime above 65535 s", spec: { connectTimeMs: 65_536_000 }, field: "connectTime" },
];

describe("MetalLB timer derivation", () => {
  it.each(derivations)("$name", ({ spec, holdTime, keepaliveMs, maxMs }) => {
    const t = deriveTimers(spec);
    expect(t).toEqual({ holdTime, keepaliveMs, connectRetry: { initialMs: 1000, maxMs } });
  });

  it.each(invalid)("rejects $name ($field)", ({ spec, field }) => {
    expect(() => deriveTimers(spec)).toThrow(TimerConfigError);
    try {
      deriveTimers(spec);
    } catch (err) {
      expect((err as TimerConfigError).field).toBe(field);
    }
  });
});

describe("session timer arithmetic", () => {
  it.each([
    [90, 90, 90],
    [90, 9, 9],
    [3, 180, 3],
    [90, 0, 0],
    [0, 90, 0],
  ])("hold %i s vs peer %i s negotiates %i s", (local, remote, want) => {
    expect(negotiateHoldTime(local, remote)).toBe(want);
  });

  it.each([
    { hold: 90, keepalive: 30_000, want: 30_000 },
    { hold: 9, keepalive: 30_000, want: 3_000 },
    { hold: 90, keepalive: 10_000, want: 10_000 },
    { hold: 90, keepalive: 0, want: 30_000 },
    { hold: 0, keepalive: 30_000, want: undefined },
    { hold: 3, keepalive: 1_000, want: 1_000 },
  ])("keepalive interval for hold $hold s and keepaliveTime $keepalive ms is $want", ({ hold, keepalive, want }) => {
    expect(keepaliveInterval(hold, keepalive)).toBe(want);
  });

  it("backoff doubles from the initial delay and stops at the cap", () => {
    const retry = { initialMs: 1000, maxMs: 120_000 };
    expect([0, 1, 2, 3, 4, 5, 6, 7, 8, 100].map((n) => backoffDelay(n, retry, 0))).toEqual([
      1000, 2000, 4000, 8000, 16000, 32000, 64000, 120000, 120000, 120000,
    ]);
  });

  it("jitter keeps a delay within [0.75, 1] of its base, and out-of-range jitter is clamped", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.double({ min: -5, max: 5, noNaN: true }), (base, r) => {
        const d = jittered(base, r);
        expect(d).toBeLessThanOrEqual(base);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.75));
      }),
    );
    expect(jittered(1000, Number.NaN)).toBe(1000);
  });
});
