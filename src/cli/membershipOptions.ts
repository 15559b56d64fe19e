import type { Command } from "commander";
import { DEFAULT_MEMBERSHIP_SETTINGS, validateMembershipSettings, type MembershipSettings, type SettingNames } from "../projections/settings.js";
import { intOption } from "./options.js";

const d = DEFAULT_MEMBERSHIP_SETTINGS;

/** The flag behind each failure-detector setting, so a rejected combination names what the operator typed. */
export const MEMBERSHIP_FLAGS: SettingNames = {
  heartbeatIntervalMs: "--heartbeat-interval",
  suspectAfterMs: "--suspect-after",
  deadAfterMs: "--dead-after",
  maxDeadAfterMs: "--max-dead-after",
  maxStepMs: "--max-step",
  joinBeats: "--join-beats",
  stallGapMs: "--stall-gap",
  stallGraceMs: "--stall-grace",
};

/** The failure detector's settings: every agent that judges liveness (speakers, controllers) must use the same. */
export function addMembershipOptions(cmd: Command): Command {
  return cmd
    .option("--heartbeat-interval <ms>", "heartbeat period", String(d.heartbeatIntervalMs))
    .option("--suspect-after <ms>", "silence before a node is suspected", String(d.suspectAfterMs))
    .option("--dead-after <ms>", "silence before a node is dead and its VIPs move", String(d.deadAfterMs))
    .option("--max-dead-after <ms>", "the most the dead timeout widens for a node that reports itself late (Lifeguard)", String(d.maxDeadAfterMs))
    .option("--max-step <ms>", "the most one gap in the log counts; longer gaps are log stalls", String(d.maxStepMs))
    .option("--stall-gap <ms>", "a gap between log messages this long is a log outage, not silence", String(d.stallGapMs))
    .option("--stall-grace <ms>", "after a log outage, live time during which nobody is declared dead", String(d.stallGraceMs))
    .option("--join-beats <n>", "heartbeats a new or returning node needs before it may own VIPs", String(d.joinBeats));
}

export function membershipFromOptions(o: Record<string, string | undefined>): MembershipSettings {
  return validateMembershipSettings(
    {
      heartbeatIntervalMs: intOption(o, "heartbeatInterval"),
      suspectAfterMs: intOption(o, "suspectAfter"),
      deadAfterMs: intOption(o, "deadAfter"),
      maxDeadAfterMs: intOption(o, "maxDeadAfter"),
      maxStepMs: intOption(o, "maxStep"),
      joinBeats: intOption(o, "joinBeats"),
      stallGapMs: intOption(o, "stallGap"),
      stallGraceMs: intOption(o, "stallGrace"),
    },
    MEMBERSHIP_FLAGS,
  );
}
