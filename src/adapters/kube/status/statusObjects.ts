import type { KubeCredentials } from "../../../kube/credentials.js";
import { isConflict, isNotFound, kubeRequest } from "../../../kube/http.js";
import type { KubeObject } from "../../../kube/informer.js";
import { statusLabels, type NodeServiceStatus } from "../../../projections/kubeStatus/nodeStatus.js";

// Writes of ServiceL2Status / ServiceBGPStatus objects: create (then set the status subresource), patch the status
// when it differs, delete. Only the difference from the informer's copy is sent, guarded by its resourceVersion.
// The speaker writes them, over ./http.ts rather than the library's generated clients, which it would load for
// nothing else (about 40 MB of RSS: docs/kubernetes.md).

export type StatusKind = { kind: "ServiceL2Status" | "ServiceBGPStatus"; plural: "servicel2statuses" | "servicebgpstatuses" };

export const L2_KIND: StatusKind = { kind: "ServiceL2Status", plural: "servicel2statuses" };
export const BGP_KIND: StatusKind = { kind: "ServiceBGPStatus", plural: "servicebgpstatuses" };

export type WantedObject = { id: NodeServiceStatus; status: Record<string, unknown> };

export const statusCollection = (k: StatusKind, namespace: string): string => `/apis/metallb.io/v1beta1/namespaces/${namespace}/${k.plural}`;
const objectPath = (k: StatusKind, namespace: string, name: string): string => `${statusCollection(k, encodeURIComponent(namespace))}/${encodeURIComponent(name)}`;
const MERGE_PATCH = "application/merge-patch+json";

/** Whether the object's status differs from the wanted one in any field the wanted one sets (null: absent). */
export function statusDiffers(o: KubeObject, wanted: Record<string, unknown>): boolean {
  const current = (o["status"] ?? {}) as Record<string, unknown>;
  return Object.entries(wanted).some(([k, v]) => (v === null ? current[k] !== undefined && current[k] !== null : JSON.stringify(current[k]) !== JSON.stringify(v)));
}

export async function createStatusObject(kc: KubeCredentials, k: StatusKind, namespace: string, w: WantedObject): Promise<void> {
  const body = { apiVersion: "metallb.io/v1beta1", kind: k.kind, metadata: { name: w.id.name, namespace, labels: statusLabels(w.id) } };
  try {
    await kubeRequest(kc, { method: "POST", path: statusCollection(k, encodeURIComponent(namespace)), body });
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  await kubeRequest(kc, { method: "PATCH", path: `${objectPath(k, namespace, w.id.name)}/status`, body: { status: w.status }, contentType: MERGE_PATCH });
}

/** false on a conflict: the informer brings the newer object and the caller looks again. */
export async function patchStatusObject(kc: KubeCredentials, k: StatusKind, o: KubeObject, status: Record<string, unknown>): Promise<boolean> {
  const namespace = o.metadata.namespace ?? "";
  const body = { metadata: { resourceVersion: o.metadata.resourceVersion }, status };
  try {
    await kubeRequest(kc, { method: "PATCH", path: `${objectPath(k, namespace, o.metadata.name)}/status`, body, contentType: MERGE_PATCH });
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
  const namespace = o.metadata.namespace ?? "";
  const preconditions = { ...(o.metadata.uid ? { uid: o.metadata.uid } : {}), ...(o.metadata.resourceVersion ? { resourceVersion: o.metadata.resourceVersion } : {}) };
  try {
    await kubeRequest(kc, { method: "DELETE", path: objectPath(k, namespace, o.metadata.name), body: { apiVersion: "v1", kind: "DeleteOptions", preconditions } });
    return true;
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return false;
    throw err;
  }
}
