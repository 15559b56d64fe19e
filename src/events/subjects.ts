// Every subject vipmesh publishes on is built and parsed here.
// Tokens may not contain "." (NATS separator), so IPv4 dots and DNS-name dots become "_", which neither
// addresses nor Kubernetes names use, keeping the mapping reversible.
// A subject a writer extends ends in the writer's identity (design.md, rule 1), so the server's per-user permissions
// can hold each credential to its own subjects; a chain many writers extend is guarded by its wildcard (rule 2).

export const SUBJECT_ROOT = "vipmesh";
export const EVENTS_SUBJECTS = `${SUBJECT_ROOT}.ev.>`;
export const HEARTBEATS_SUBJECTS = `${SUBJECT_ROOT}.hb.>`;

const TOKEN_FORBIDDEN = /[\s*>_]/;

export class SubjectError extends Error {
  readonly code = "INVALID_SUBJECT_TOKEN";
}

export function toToken(value: string): string {
  if (value === "" || TOKEN_FORBIDDEN.test(value)) throw new SubjectError(`"${value}" cannot be used in a subject`);
  return value.replaceAll(".", "_");
}

function fromToken(token: string): string {
  return token.replaceAll("_", ".");
}

export const subjects = {
  heartbeat: (node: string) => `${SUBJECT_ROOT}.hb.${toToken(node)}`,
  nodeLifecycle: (node: string) => `${SUBJECT_ROOT}.ev.node.${toToken(node)}`,
  /** A claim on a VIP by `node`; its compare-and-set covers `vipChain(vip)`. */
  vipClaim: (vip: string, node: string) => `${SUBJECT_ROOT}.ev.vip.${toToken(vip)}.${toToken(node)}`,
  vipChain: (vip: string) => `${SUBJECT_ROOT}.ev.vip.${toToken(vip)}.*`,
  // Not on the VIP's chain: conflicts must not move the sequence the next claim expects.
  conflict: (vip: string, node: string) => `${SUBJECT_ROOT}.ev.conflict.${toToken(vip)}.${toToken(node)}`,
  announce: (node: string) => `${SUBJECT_ROOT}.ev.announce.${toToken(node)}`,
  /** A source's whole configuration in one message (ConfigApplied): old logs only, nothing publishes it now. */
  config: (source: string) => `${SUBJECT_ROOT}.ev.config.${toToken(source)}`,
  /** One configuration object; its compare-and-set covers `configChain(source)`. A Service's "ns/name" is "ns~name". */
  configObject: (source: string, kind: string, name: string) => `${SUBJECT_ROOT}.ev.cfg.${toToken(source)}.${toToken(kind)}.${toToken(name.replace("/", "~"))}`,
  configChain: (source: string) => `${SUBJECT_ROOT}.ev.cfg.${toToken(source)}.>`,
  /** An allocation claim on one address by `allocator`; its compare-and-set covers `ipChain(ip)`. */
  ipClaim: (ip: string, allocator: string) => `${SUBJECT_ROOT}.ev.ip.${toToken(ip)}.${toToken(allocator)}`,
  ipChain: (ip: string) => `${SUBJECT_ROOT}.ev.ip.${toToken(ip)}.*`,
  /** A verdict on `target` by `watcher` (a refutation when they are the same); its compare-and-set covers `memberChain(target)`. */
  memberVerdict: (target: string, watcher: string) => `${SUBJECT_ROOT}.ev.member.${toToken(target)}.${toToken(watcher)}`,
  memberChain: (target: string) => `${SUBJECT_ROOT}.ev.member.${toToken(target)}.*`,
};

/** The subjects of the first layout (before identities), still parsed so old logs replay; nothing publishes on them. */
export const legacySubjects = {
  vip: (vip: string) => `${SUBJECT_ROOT}.ev.vip.${toToken(vip)}`,
  conflict: (vip: string) => `${SUBJECT_ROOT}.ev.conflict.${toToken(vip)}`,
  ip: (ip: string) => `${SUBJECT_ROOT}.ev.ip.${toToken(ip)}`,
};

/** `publisher` is the identity the subject ends in; null on a subject of the first layout, which names none. */
export type ParsedSubject =
  | { kind: "heartbeat"; node: string }
  | { kind: "nodeLifecycle"; node: string }
  | { kind: "announce"; node: string }
  | { kind: "vip"; vip: string; publisher: string | null }
  | { kind: "conflict"; vip: string; publisher: string | null }
  | { kind: "config"; source: string }
  | { kind: "configObject"; source: string; objectKind: string; name: string }
  | { kind: "ip"; ip: string; publisher: string | null }
  | { kind: "member"; target: string; watcher: string }
  | { kind: "unknown" };

const UNKNOWN: ParsedSubject = { kind: "unknown" };

function parseKeyed(kind: string, key: string, publisher: string | null): ParsedSubject {
  switch (kind) {
    case "vip":
      return { kind: "vip", vip: key, publisher };
    case "conflict":
      return { kind: "conflict", vip: key, publisher };
    case "ip":
      return { kind: "ip", ip: key, publisher };
    default:
      return UNKNOWN;
  }
}

function parseSingle(kind: string, value: string): ParsedSubject {
  switch (kind) {
    case "node":
      return { kind: "nodeLifecycle", node: value };
    case "announce":
      return { kind: "announce", node: value };
    case "config":
      return { kind: "config", source: value };
    default:
      return parseKeyed(kind, value, null);
  }
}

export function parseSubject(subject: string): ParsedSubject {
  const parts = subject.split(".");
  if (parts[0] !== SUBJECT_ROOT) return UNKNOWN;
  if (parts.length === 3 && parts[1] === "hb") return { kind: "heartbeat", node: fromToken(parts[2] ?? "") };
  if (parts[1] !== "ev" || parts.some((p) => p === "")) return UNKNOWN;
  const kind = parts[2] ?? "";
  if (parts.length === 4) return parseSingle(kind, fromToken(parts[3] ?? ""));
  if (parts.length === 5 && kind === "member") return { kind: "member", target: fromToken(parts[3] ?? ""), watcher: fromToken(parts[4] ?? "") };
  if (parts.length === 5) return parseKeyed(kind, fromToken(parts[3] ?? ""), fromToken(parts[4] ?? ""));
  if (parts.length === 6 && kind === "cfg") return { kind: "configObject", source: fromToken(parts[3] ?? ""), objectKind: parts[4] ?? "", name: fromToken(parts[5] ?? "").replace("~", "/") };
  return UNKNOWN;
}

/** The wildcard a claim's compare-and-set covers: every claimant's subject for the same key. */
export function chainOf(subject: string): string | null {
  const parsed = parseSubject(subject);
  if (parsed.kind === "vip" && parsed.publisher !== null) return subjects.vipChain(parsed.vip);
  if (parsed.kind === "ip" && parsed.publisher !== null) return subjects.ipChain(parsed.ip);
  if (parsed.kind === "configObject") return subjects.configChain(parsed.source);
  if (parsed.kind === "member") return subjects.memberChain(parsed.target);
  return null;
}
