import { diffConfigs } from "../config/configObjects.js";
import type { ClusterConfig } from "../config/types.js";
import { subjects } from "./subjects.js";
import type { ConfigObjectChanged, ConfigObjectDeleted } from "./types.js";

// The per-object events of one configuration change (design.md, "Configuration as per-object events"): the objects
// that differ between what a source has applied and its new configuration, as one epoch decided at chain sequence
// `after`. Pure: the publisher sends them, tests and benchmarks replay them.

export type ConfigChangeMessage = { subject: string; msgID: string; event: ConfigObjectChanged | ConfigObjectDeleted };

/** The message id of object `index` of the change to `hash` decided at chain sequence `after`. */
export const configObjectMessageId = (hash: string, after: number, index: number): string => `cfg-${hash}-after-${after}-${index}`;

export function configChangeMessages(source: string, from: ClusterConfig | null, to: ClusterConfig, hash: string, revision: string, after: number): ConfigChangeMessage[] {
  const changes = diffConfigs(from, to);
  return changes.map((change, index) => {
    const epoch = { hash, after, index, count: changes.length };
    const event: ConfigObjectChanged | ConfigObjectDeleted =
      change.item !== null
        ? { type: "ConfigObjectChanged", data: { source, name: change.name, revision, epoch, item: change.item } }
        : { type: "ConfigObjectDeleted", data: { source, kind: change.kind, name: change.name, revision, epoch } };
    return { subject: subjects.configObject(source, change.kind, change.name), msgID: configObjectMessageId(hash, after, index), event };
  });
}
