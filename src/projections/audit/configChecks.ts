import { decodeConfigHash, dominates } from "../../events/configHash.js";
import type { ConfigApplied, EventMeta } from "../../events/types.js";
import { refOf, violation, type EventRef, type Finding } from "./findings.js";

// Configuration revisions never go back: on each source's chain, a configuration that carries resourceVersions
// (the Kubernetes source) must be at least the previous one's in every kind. A file carries only its content hash,
// and a return to earlier content is an ordinary edit, so there is nothing to compare.

export class ConfigRevisions {
  private readonly last = new Map<string, { revisions: bigint[]; ref: EventRef }>();

  applied(event: ConfigApplied, meta: EventMeta): Finding[] {
    const decoded = decodeConfigHash(event.data.hash);
    if (!decoded) return [];
    const source = event.data.source;
    const previous = this.last.get(source);
    const here = refOf(meta);
    this.last.set(source, { revisions: decoded.revisions, ref: here });
    if (!previous || dominates(decoded.revisions, previous.revisions)) return [];
    return [
      violation(
        "config-went-back",
        source,
        `configuration from ${source} went back: resourceVersions ${decoded.revisions.join(".")} after ${previous.revisions.join(".")}`,
        [previous.ref, here],
      ),
    ];
  }
}
