import { describe, expect, it } from "vitest";
import { clusterMembership, LabAuditError, membershipFromArgv } from "../../src/lab/labAudit.js";
import { DEFAULT_MEMBERSHIP_SETTINGS, SettingsError } from "../../src/projections/settings.js";

// A lab cluster audits its log with the failure-detector settings its speakers ran with, read from their argv.

describe("the failure-detector settings of a lab speaker's argv", () => {
  it("are the defaults when no flag sets them", () => {
    expect(membershipFromArgv(["speaker", "--node", "node1", "--on-sigterm", "restart"])).toEqual(DEFAULT_MEMBERSHIP_SETTINGS);
  });

  it("take both --flag value and --flag=value", () => {
    const s = membershipFromArgv(["speaker", "--dead-after", "900", "--max-dead-after=1300", "--suspect-after=400", "--join-beats", "5"]);
    expect(s).toEqual({ ...DEFAULT_MEMBERSHIP_SETTINGS, deadAfterMs: 900, maxDeadAfterMs: 1_300, suspectAfterMs: 400, joinBeats: 5 });
  });

  it("are refused, naming the flag, when they are not a valid combination", () => {
    expect(() => membershipFromArgv(["--suspect-after", "400"])).toThrow(SettingsError);
    expect(() => membershipFromArgv(["--suspect-after", "400"])).toThrow(/--suspect-after \(400\) must be below --dead-after \(300\)/);
  });

  it("must agree across the cluster's speakers", () => {
    expect(clusterMembership([["--node", "node1"], ["--node", "node2"]])).toEqual(DEFAULT_MEMBERSHIP_SETTINGS);
    expect(clusterMembership([])).toEqual(DEFAULT_MEMBERSHIP_SETTINGS);
    expect(() => clusterMembership([["--node", "node1"], ["--dead-after=900", "--max-dead-after", "1300"]])).toThrow(LabAuditError);
  });
});
