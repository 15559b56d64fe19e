// The monotonic guard of the Kubernetes source. Several ingest replicas publish without a lease, so each
// published configuration carries, per watched kind, the resourceVersion its view of that kind had reached.
// A replica publishes only when its vector is at least the logged one in every kind: a lagging replica can
// never put an older view of any kind back on the log. Pure: no I/O.

/** Per-kind resourceVersions, in the fixed order of the kinds the source watches. */
export type RevisionVector = readonly bigint[];

const SEPARATOR = "@";

/** The published hash: the content hash, then the vector ("3fa9…@1042.1040.977…"). */
export function encodeConfigHash(contentHash: string, revisions: RevisionVector): string {
  return `${contentHash}${SEPARATOR}${revisions.map(String).join(".")}`;
}

/** The parts of a hash encodeConfigHash made; null for any other hash (another source, a file). */
export function decodeConfigHash(hash: string): { contentHash: string; revisions: bigint[] } | null {
  const at = hash.lastIndexOf(SEPARATOR);
  if (at <= 0) return null;
  const parts = hash.slice(at + 1).split(".");
  if (parts.some((p) => !/^\d{1,30}$/.test(p))) return null;
  return { contentHash: hash.slice(0, at), revisions: parts.map(BigInt) };
}

/** resourceVersion text to a number; etcd revisions are decimal integers. */
export function parseResourceVersion(text: string | undefined): bigint | null {
  return text !== undefined && /^\d{1,30}$/.test(text) ? BigInt(text) : null;
}

/**
 * True when `mine` is at least `logged` in every kind. A newer version watches more kinds (appended at the end), so
 * a longer vector is compared on the logged one's kinds; a shorter one (an older replica) never dominates.
 */
export function dominates(mine: RevisionVector, logged: RevisionVector): boolean {
  return mine.length >= logged.length && logged.every((rv, i) => (mine[i] ?? 0n) >= rv);
}

/** The kinds where `mine` is behind `logged`: the ones to relist to catch up. */
export function laggingKinds(mine: RevisionVector, logged: RevisionVector): number[] {
  return mine.flatMap((rv, i) => (rv < (logged[i] ?? 0n) ? [i] : []));
}

export type PublishDecision = "publish" | "unchanged" | "stale";

/** What a replica with `mine` does when the log's latest Kubernetes configuration has hash `loggedHash`. */
export function decidePublish(contentHash: string, mine: RevisionVector, loggedHash: string | null): PublishDecision {
  const logged = loggedHash === null ? null : decodeConfigHash(loggedHash);
  if (logged === null) return "publish";
  if (logged.contentHash === contentHash) return "unchanged";
  return dominates(mine, logged.revisions) ? "publish" : "stale";
}
