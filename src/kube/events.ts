import { createHash } from "node:crypto";
import { CoreV1Api, type CoreV1Event } from "@kubernetes/client-node";
import { apiConfigurationOf, kubeCall } from "./apiClient.js";
import { isConflict } from "./http.js";
import type { KubeObject } from "./informer.js";
import type { KubeCredentials } from "./credentials.js";

// Kubernetes Events with a deterministic name per (object, transition): every writer that sees the same transition
// creates the same Event, the API server stores the first and answers the others 409, so several writers never
// duplicate an event, and a writer that restarts does not repeat one.

export type EventSpec = { reason: string; message: string; type: "Normal" | "Warning"; component: string; transition: string };

export function eventName(obj: KubeObject, spec: EventSpec): string {
  const digest = createHash("sha256").update(`${obj.metadata.uid ?? ""}|${spec.reason}|${spec.transition}`).digest("hex").slice(0, 16);
  return `${obj.metadata.name}.vipmesh-${digest}`.slice(0, 253);
}

/** Creates the event; false when another writer (or an earlier run) already created it. */
export async function recordEvent(kc: KubeCredentials, obj: KubeObject, spec: EventSpec): Promise<boolean> {
  const namespace = obj.metadata.namespace ?? "default";
  const now = new Date();
  const body: CoreV1Event = {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: eventName(obj, spec), namespace },
    involvedObject: {
      name: obj.metadata.name,
      namespace,
      ...(obj.apiVersion ? { apiVersion: obj.apiVersion } : {}),
      ...(obj.kind ? { kind: obj.kind } : {}),
      ...(obj.metadata.uid ? { uid: obj.metadata.uid } : {}),
    },
    reason: spec.reason,
    message: spec.message,
    type: spec.type,
    source: { component: spec.component },
    firstTimestamp: now,
    lastTimestamp: now,
    count: 1,
  };
  try {
    await kubeCall(`create Event ${namespace}/${body.metadata.name}`, () => new CoreV1Api(apiConfigurationOf(kc)).createNamespacedEvent({ namespace, body }));
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}
