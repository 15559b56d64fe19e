/** Failure-detector settings. Every agent of a cluster must use the same values, or their views differ. */
export type MembershipSettings = {
  /** How often a speaker publishes a heartbeat (used by the agent, and as the expected gap). */
  heartbeatIntervalMs: number;
  /** Silence (live log time) after which a node is suspected: shown, but nothing moves. */
  suspectAfterMs: number;
  /** Silence after which a node is dead and its VIPs move. */
  deadAfterMs: number;
  /**
   * Lifeguard's bound: the dead timeout of a node that reports itself degraded (or whose beats the log stamps late)
   * is widened with its health score up to this, never further; a starved claimant waits at most until then.
   */
  maxDeadAfterMs: number;
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
  maxDeadAfterMs: 700,
  maxStepMs: 100,
  joinBeats: 3,
  stallGapMs: 1_000,
  stallGraceMs: 1_500,
};

/** What each setting is called where it was set: field names by default; the CLI passes its flag names. */
export type SettingNames = Readonly<Record<keyof MembershipSettings, string>>;

export const FIELD_NAMES: SettingNames = {
  heartbeatIntervalMs: "heartbeatIntervalMs",
  suspectAfterMs: "suspectAfterMs",
  deadAfterMs: "deadAfterMs",
  maxDeadAfterMs: "maxDeadAfterMs",
  maxStepMs: "maxStepMs",
  joinBeats: "joinBeats",
  stallGapMs: "stallGapMs",
  stallGraceMs: "stallGraceMs",
};

export class SettingsError extends Error {
  readonly code = "INVALID_SETTINGS";
  constructor(
    /** The setting the message starts with. */
    readonly setting: keyof MembershipSettings,
    message: string,
  ) {
    super(message);
  }
}

export function validateMembershipSettings(s: MembershipSettings, names: SettingNames = FIELD_NAMES): MembershipSettings {
  const is = (key: keyof MembershipSettings): string => `${names[key]} (${s[key]})`;
  const fail = (key: keyof MembershipSettings, rule: string): never => {
    throw new SettingsError(key, `${is(key)} ${rule}`);
  };
  for (const key of Object.keys(FIELD_NAMES) as (keyof MembershipSettings)[]) {
    if (!Number.isFinite(s[key]) || s[key] <= 0) fail(key, "must be a positive number");
  }
  if (s.suspectAfterMs >= s.deadAfterMs) fail("suspectAfterMs", `must be below ${is("deadAfterMs")}`);
  if (s.maxDeadAfterMs < s.deadAfterMs) fail("maxDeadAfterMs", `must be at least ${is("deadAfterMs")}`);
  if (s.heartbeatIntervalMs * 2 > s.deadAfterMs) fail("deadAfterMs", `must cover at least two heartbeat intervals: ${is("heartbeatIntervalMs")}`);
  if (s.maxStepMs < s.heartbeatIntervalMs) fail("maxStepMs", `must be at least one heartbeat interval: ${is("heartbeatIntervalMs")}`);
  if (s.maxStepMs + s.heartbeatIntervalMs >= s.deadAfterMs) {
    fail("maxStepMs", `plus ${is("heartbeatIntervalMs")} must stay below ${is("deadAfterMs")}, or a log stall could kill nodes`);
  }
  if (s.stallGapMs <= s.maxStepMs) fail("stallGapMs", `must exceed ${is("maxStepMs")}`);
  return s;
}
