// The monotonic guard of the Kubernetes source. Several ingest replicas publish without a lease, so each
// published configuration carries, per watched kind, the resourceVersion its view of that kind had reached.
// A replica publishes only when its vector is at least the logged one in every kind: a lagging replica can
// never put an older view of any kind back on the log. Pure: no I/O.

import { decodeConfigHash, dominates, type RevisionVector } from "../../events/configHash.js";

export { decodeConfigHash, dominates, encodeConfigHash, type RevisionVector } from "../../events/configHash.js";

/** resourceVersion text to a number; etcd revisions are decimal integers. */
export function parseResourceVersion(text: string | undefined): bigint | null {
  return text !== undefined && /^\d{1,30}$/.test(text) ? BigInt(text) : null;
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
