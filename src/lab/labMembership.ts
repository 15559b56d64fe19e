import { MEMBERSHIP_MODES, type MembershipMode } from "../events/types.js";

/**
 * The lab's speakers run with `--membership` from VIPMESH_LAB_MEMBERSHIP when it is set (heartbeats or verdicts), so
 * any lab test file can be run in either mode: `VIPMESH_LAB_MEMBERSHIP=verdicts npx vitest run test/lab/...`. A test's
 * own speakerArgs come after and win.
 */
export function labMembershipArgs(env: NodeJS.ProcessEnv = process.env): string[] {
  const mode = env["VIPMESH_LAB_MEMBERSHIP"];
  if (mode === undefined || mode === "") return [];
  if (!(MEMBERSHIP_MODES as readonly string[]).includes(mode)) throw new Error(`VIPMESH_LAB_MEMBERSHIP: "${mode}" is not one of ${MEMBERSHIP_MODES.join(", ")}`);
  return ["--membership", mode as MembershipMode];
}
