// The hash a Kubernetes source writes on each change (the epoch of its per-object events; a whole ConfigApplied in
// old logs): the content hash, then the resourceVersion each watched kind had reached ("3fa9…@1042.1040.977…"). The
// ingest guard and the audit both read it. Pure.

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

/**
 * True when `mine` is at least `logged` in every kind. A newer version watches more kinds (appended at the end), so
 * a longer vector is compared on the logged one's kinds; a shorter one (an older replica) never dominates.
 */
export function dominates(mine: RevisionVector, logged: RevisionVector): boolean {
  return mine.length >= logged.length && logged.every((rv, i) => (mine[i] ?? 0n) >= rv);
}
