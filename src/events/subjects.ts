// Every subject vipmesh publishes on is built and parsed here.
// Tokens may not contain "." (NATS separator), so IPv4 dots and DNS-name dots become "_", which neither
// addresses nor Kubernetes names use, keeping the mapping reversible.

export const SUBJECT_ROOT = "vipmesh";
export const EVENTS_SUBJECTS = `${SUBJECT_ROOT}.ev.>`;
export const HEARTBEATS_SUBJECTS = `${SUBJECT_ROOT}.hb.>`;

const TOKEN_FORBIDDEN = /[\s*>_]/;

export class SubjectError extends Error {
  readonly code = "INVALID_SUBJECT_TOKEN";
}

function toToken(value: string): string {
  if (value === "" || TOKEN_FORBIDDEN.test(value)) throw new SubjectError(`"${value}" cannot be used in a subject`);
  return value.replaceAll(".", "_");
}

function fromToken(token: string): string {
  return token.replaceAll("_", ".");
}

export const subjects = {
  heartbeat: (node: string) => `${SUBJECT_ROOT}.hb.${toToken(node)}`,
  nodeLifecycle: (node: string) => `${SUBJECT_ROOT}.ev.node.${toToken(node)}`,
  vip: (vip: string) => `${SUBJECT_ROOT}.ev.vip.${toToken(vip)}`,
  // Not the VIP's own subject: that one holds only claims, whose compare-and-set expects its last sequence.
  conflict: (vip: string) => `${SUBJECT_ROOT}.ev.conflict.${toToken(vip)}`,
  config: (source: string) => `${SUBJECT_ROOT}.ev.config.${toToken(source)}`,
  /** One subject per address: its allocation claims form a chain guarded by compare-and-set. */
  ip: (ip: string) => `${SUBJECT_ROOT}.ev.ip.${toToken(ip)}`,
};

export type ParsedSubject =
  | { kind: "heartbeat"; node: string }
  | { kind: "nodeLifecycle"; node: string }
  | { kind: "vip"; vip: string }
  | { kind: "config"; source: string }
  | { kind: "ip"; ip: string }
  | { kind: "unknown" };

export function parseSubject(subject: string): ParsedSubject {
  const parts = subject.split(".");
  if (parts[0] !== SUBJECT_ROOT) return { kind: "unknown" };
  if (parts.length === 3 && parts[1] === "hb") return { kind: "heartbeat", node: fromToken(parts[2] ?? "") };
  if (parts.length !== 4 || parts[1] !== "ev") return { kind: "unknown" };
  const value = fromToken(parts[3] ?? "");
  switch (parts[2]) {
    case "node":
      return { kind: "nodeLifecycle", node: value };
    case "vip":
      return { kind: "vip", vip: value };
    case "config":
      return { kind: "config", source: value };
    case "ip":
      return { kind: "ip", ip: value };
    default:
      return { kind: "unknown" };
  }
}
