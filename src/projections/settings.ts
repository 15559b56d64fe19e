/** Failure-detector settings. Every agent of a cluster must use the same values, or their views differ. */
export type MembershipSettings = {
  /** How often a speaker publishes a heartbeat (used by the agent, and as the expected gap). */
  heartbeatIntervalMs: number;
  /** Silence (live log time) after which a node is suspected: shown, but nothing moves. */
  suspectAfterMs: number;
  /** Silence after which a node is dead and its VIPs move. */
  deadAfterMs: number;
  /**
   * The most live time one gap between messages may add. A longer gap means the log itself was away
   * (leader election, outage), and must not count against anyone.
   */
  maxStepMs: number;
  /** Consecutive heartbeats a new, returning or restarted node needs before it may take VIPs. */
  joinBeats: number;
  /** A gap between messages at least this long is a log outage (leader election, NATS down), not silence. */
  stallGapMs: number;
  /**
   * After an outage, clients reconnect one by one; for this much live time nobody is declared dead, so a node
   * that reconnects a little later than the others is not mistaken for a dead one.
   */
  stallGraceMs: number;
};

export const DEFAULT_MEMBERSHIP_SETTINGS: MembershipSettings = {
  heartbeatIntervalMs: 50,
  suspectAfterMs: 150,
  deadAfterMs: 300,
  maxStepMs: 100,
  joinBeats: 3,
  stallGapMs: 1_000,
  stallGraceMs: 1_500,
};

export class SettingsError extends Error {
  readonly code = "INVALID_SETTINGS";
}

export function validateMembershipSettings(s: MembershipSettings): MembershipSettings {
  const positive = ["heartbeatIntervalMs", "suspectAfterMs", "deadAfterMs", "maxStepMs", "joinBeats", "stallGapMs", "stallGraceMs"] as const;
  for (const key of positive) {
    if (!Number.isFinite(s[key]) || s[key] <= 0) throw new SettingsError(`${key} must be a positive number, got ${s[key]}`);
  }
  if (s.suspectAfterMs >= s.deadAfterMs) throw new SettingsError("suspectAfterMs must be below deadAfterMs");
  if (s.heartbeatIntervalMs * 2 > s.deadAfterMs) throw new SettingsError("deadAfterMs must cover at least two heartbeat intervals");
  if (s.maxStepMs < s.heartbeatIntervalMs) throw new SettingsError("maxStepMs must be at least one heartbeat interval");
  if (s.maxStepMs + s.heartbeatIntervalMs >= s.deadAfterMs) {
    throw new SettingsError("maxStepMs + heartbeatIntervalMs must stay below deadAfterMs, or a log stall could kill nodes");
  }
  if (s.stallGapMs <= s.maxStepMs) throw new SettingsError("stallGapMs must exceed maxStepMs");
  return s;
}
