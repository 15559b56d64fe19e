// A lab cluster audits its own log before it is torn down: `vipmesh audit` over its live NATS, with the failure
// detector's settings its speakers were started with, so a run of any lab fault is also a check of every invariant
// the audit knows (docs/design.md, "Audit and export").
import type { NatsClientSecurity } from "../adapters/nats/security.js";
import { auditCommand, DEFAULT_HANDOVER_BOUND_MS } from "../cli/auditCommand.js";
import { MEMBERSHIP_FLAGS } from "../cli/membershipOptions.js";
import type { AuditReport, Finding } from "../projections/audit/findings.js";
import { DEFAULT_MEMBERSHIP_SETTINGS, validateMembershipSettings, type MembershipSettings } from "../projections/settings.js";

export class LabAuditError extends Error {
  readonly code = "LAB_AUDIT";
}

/** The failure-detector settings a speaker's argv sets (`--flag value` or `--flag=value`), the defaults elsewhere. */
export function membershipFromArgv(argv: readonly string[]): MembershipSettings {
  const settings: MembershipSettings = { ...DEFAULT_MEMBERSHIP_SETTINGS };
  for (const [key, flag] of Object.entries(MEMBERSHIP_FLAGS) as [keyof MembershipSettings, string][]) {
    for (let i = 0; i < argv.length; i++) {
      const arg = argv[i] ?? "";
      const value = arg === flag ? argv[i + 1] : arg.startsWith(`${flag}=`) ? arg.slice(flag.length + 1) : undefined;
      if (value !== undefined) settings[key] = Number(value);
    }
  }
  return validateMembershipSettings(settings, MEMBERSHIP_FLAGS);
}

/** One setting for the whole cluster: speakers started with different failure-detector flags cannot be audited as one. */
export function clusterMembership(argvs: readonly (readonly string[])[]): MembershipSettings {
  const all = argvs.map(membershipFromArgv);
  const first = all[0] ?? DEFAULT_MEMBERSHIP_SETTINGS;
  const other = all.find((s) => JSON.stringify(s) !== JSON.stringify(first));
  if (other) throw new LabAuditError(`lab audit: speakers ran with different failure-detector settings: ${JSON.stringify(first)} and ${JSON.stringify(other)}`);
  return first;
}

export type LabAuditTarget = {
  natsUrls: () => Promise<string[]>;
  security: NatsClientSecurity;
  /** The argv of every speaker started in the run. */
  speakerArgvs: readonly (readonly string[])[];
};

export async function auditLab(target: LabAuditTarget): Promise<AuditReport> {
  const settings = { membership: clusterMembership(target.speakerArgvs), handoverBoundMs: DEFAULT_HANDOVER_BOUND_MS };
  const { report } = await auditCommand({ nats: await target.natsUrls(), security: target.security, settings, timeoutMs: 30_000 });
  return report;
}

export const violationsOf = (report: AuditReport): Finding[] => report.findings.filter((f) => f.level === "violation");
