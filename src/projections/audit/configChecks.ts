import { decodeConfigHash, dominates } from "../../events/configHash.js";
import type { ConfigApplied, ConfigObjectChanged, ConfigObjectDeleted, EventMeta } from "../../events/types.js";
import { refOf, violation, type EventRef, type Finding } from "./findings.js";

// Configuration revisions never go back: on each source's chain, a configuration that carries resourceVersions
// (the Kubernetes source) must be at least the previous one's in every kind, and so must each object's against that
// object's previous one (per-object events). A file carries only its content hash, and a return to earlier content
// is an ordinary edit, so there is nothing to compare.

export class ConfigRevisions {
  private readonly last = new Map<string, { revisions: bigint[]; ref: EventRef }>();

  private readonly lastOfObject = new Map<string, { revisions: bigint[]; ref: EventRef }>();

  /** A per-object event the projection accepted: its revision (its change's hash) against the object's previous one. */
  object(event: ConfigObjectChanged | ConfigObjectDeleted, meta: EventMeta): Finding[] {
    const decoded = decodeConfigHash(event.data.epoch.hash);
    if (!decoded) return [];
    const kind = event.type === "ConfigObjectChanged" ? event.data.item.kind : event.data.kind;
    const about = `${event.data.source} ${kind}/${event.data.name}`;
    const previous = this.lastOfObject.get(about);
    const here = refOf(meta);
    this.lastOfObject.set(about, { revisions: decoded.revisions, ref: here });
    if (!previous || dominates(decoded.revisions, previous.revisions)) return [];
    return [violation("config-went-back", about, `${kind}/${event.data.name} from ${event.data.source} went back: resourceVersions ${decoded.revisions.join(".")} after ${previous.revisions.join(".")}`, [previous.ref, here])];
  }

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
