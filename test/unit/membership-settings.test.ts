import { describe, expect, it } from "vitest";
import { membershipFromOptions } from "../../src/cli/membershipOptions.js";
import { DEFAULT_MEMBERSHIP_SETTINGS, SettingsError, validateMembershipSettings } from "../../src/projections/settings.js";

// A rejected failure-detector combination names what the operator set: flags from the CLI, fields otherwise.

const flags = (over: Record<string, string>): Record<string, string> => ({
  heartbeatInterval: "50", suspectAfter: "150", deadAfter: "300", maxDeadAfter: "700", maxStep: "100", joinBeats: "3", stallGap: "1000", stallGrace: "1500", ...over,
});

function rejection(run: () => unknown): SettingsError {
  try {
    run();
  } catch (err) {
    if (err instanceof SettingsError) return err;
    throw err;
  }
  throw new Error("accepted");
}

describe("membership settings from CLI flags", () => {
  const cases: [string, Record<string, string>, string][] = [
    ["--dead-after below the suspect time", { deadAfter: "100" }, "--suspect-after (150) must be below --dead-after (100)"],
    ["--dead-after shorter than two heartbeats", { suspectAfter: "60", deadAfter: "90", maxStep: "20" }, "--dead-after (90) must cover at least two heartbeat intervals: --heartbeat-interval (50)"],
    ["--max-step below one heartbeat", { maxStep: "40" }, "--max-step (40) must be at least one heartbeat interval: --heartbeat-interval (50)"],
    ["--max-step too close to --dead-after", { maxStep: "260" }, "--max-step (260) plus --heartbeat-interval (50) must stay below --dead-after (300)"],
    ["--stall-gap not above --max-step", { stallGap: "100" }, "--stall-gap (100) must exceed --max-step (100)"],
    ["--max-dead-after below --dead-after", { maxDeadAfter: "250" }, "--max-dead-after (250) must be at least --dead-after (300)"],
    ["--join-beats zero", { joinBeats: "0" }, "--join-beats (0) must be a positive number"],
  ];
  for (const [name, over, message] of cases) {
    it(`names the flags: ${name}`, () => {
      const err = rejection(() => membershipFromOptions(flags(over)));
      expect(err.message).toContain(message);
      expect(err.message).not.toMatch(/[a-z]Ms\b/);
    });
  }

  it("accepts the defaults", () => {
    expect(membershipFromOptions(flags({}))).toEqual(DEFAULT_MEMBERSHIP_SETTINGS);
  });
});

describe("membership settings outside the CLI", () => {
  it("names the fields when no flag names are given", () => {
    const err = rejection(() => validateMembershipSettings({ ...DEFAULT_MEMBERSHIP_SETTINGS, deadAfterMs: 100 }));
    expect(err.message).toBe("suspectAfterMs (150) must be below deadAfterMs (100)");
    expect(err.setting).toBe("suspectAfterMs");
  });
});
