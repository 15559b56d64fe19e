import type { KubeCredentials } from "../credentials.js";
import { isConflict, isNotFound, KubeApiError, kubeRequest } from "../http.js";
import type { KubeObject } from "../informer.js";
import { statusLabels, type NodeServiceStatus } from "./nodeStatus.js";

// Writes of ServiceL2Status / ServiceBGPStatus objects: create (then set the status subresource), patch the status
// when it differs, delete. Only the difference from the informer's copy is sent, guarded by its resourceVersion.

export type StatusKind = { kind: "ServiceL2Status" | "ServiceBGPStatus"; plural: "servicel2statuses" | "servicebgpstatuses" };

export const L2_KIND: StatusKind = { kind: "ServiceL2Status", plural: "servicel2statuses" };
export const BGP_KIND: StatusKind = { kind: "ServiceBGPStatus", plural: "servicebgpstatuses" };

export type WantedObject = { id: NodeServiceStatus; status: Record<string, unknown> };

const MERGE = "application/merge-patch+json";
export const statusCollection = (k: StatusKind, namespace: string): string => `/apis/metallb.io/v1beta1/namespaces/${namespace}/${k.plural}`;

/** Whether the object's status differs from the wanted one in any field the wanted one sets (null: absent). */
export function statusDiffers(o: KubeObject, wanted: Record<string, unknown>): boolean {
  const current = (o["status"] ?? {}) as Record<string, unknown>;
  return Object.entries(wanted).some(([k, v]) => (v === null ? current[k] !== undefined && current[k] !== null : JSON.stringify(current[k]) !== JSON.stringify(v)));
}

export async function createStatusObject(kc: KubeCredentials, k: StatusKind, namespace: string, w: WantedObject): Promise<void> {
  const base = statusCollection(k, namespace);
  const body = { apiVersion: "metallb.io/v1beta1", kind: k.kind, metadata: { name: w.id.name, namespace, labels: statusLabels(w.id) } };
  try {
    await kubeRequest(kc, { method: "POST", path: base, body });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 409)) throw err;
  }
  await kubeRequest(kc, { method: "PATCH", path: `${base}/${w.id.name}/status`, body: { status: w.status }, contentType: MERGE });
}

/** false on a conflict: the informer brings the newer object and the caller looks again. */
export async function patchStatusObject(kc: KubeCredentials, k: StatusKind, o: KubeObject, status: Record<string, unknown>): Promise<boolean> {
  const path = `${statusCollection(k, o.metadata.namespace ?? "")}/${o.metadata.name}/status`;
  try {
    await kubeRequest(kc, { method: "PATCH", path, body: { metadata: { resourceVersion: o.metadata.resourceVersion }, status }, contentType: MERGE });
    return true;
  } catch (err) {
    if (isConflict(err)) return false;
    throw err;
  }
}

/**
 * Deletes the object the informer holds, preconditioned on its uid and resourceVersion, so a copy that changed
 * or was recreated meanwhile is left alone. false when it was already gone or had changed.
 */
export async function deleteStatusObject(kc: KubeCredentials, k: StatusKind, o: KubeObject): Promise<boolean> {
  const path = `${statusCollection(k, o.metadata.namespace ?? "")}/${o.metadata.name}`;
  const preconditions = { ...(o.metadata.uid ? { uid: o.metadata.uid } : {}), ...(o.metadata.resourceVersion ? { resourceVersion: o.metadata.resourceVersion } : {}) };
  try {
    await kubeRequest(kc, { method: "DELETE", path, body: { apiVersion: "v1", kind: "DeleteOptions", preconditions } });
    return true;
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return false;
    throw err;
  }
}
