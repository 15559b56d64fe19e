import { CustomObjectsApi } from "@kubernetes/client-node";
import { kubeCall, mergePatch } from "../../../kube/apiClient.js";
import type { KubeCredentials } from "../../../kube/credentials.js";
import { isConflict, isNotFound } from "../../../kube/http.js";
import type { KubeObject } from "../../../kube/informer.js";
import { statusLabels, type NodeServiceStatus } from "../../../projections/kubeStatus/nodeStatus.js";

// Writes of ServiceL2Status / ServiceBGPStatus objects: create (then set the status subresource), patch the status
// when it differs, delete. Only the difference from the informer's copy is sent, guarded by its resourceVersion.

export type StatusKind = { kind: "ServiceL2Status" | "ServiceBGPStatus"; plural: "servicel2statuses" | "servicebgpstatuses" };

export const L2_KIND: StatusKind = { kind: "ServiceL2Status", plural: "servicel2statuses" };
export const BGP_KIND: StatusKind = { kind: "ServiceBGPStatus", plural: "servicebgpstatuses" };

export type WantedObject = { id: NodeServiceStatus; status: Record<string, unknown> };

export const statusCollection = (k: StatusKind, namespace: string): string => `/apis/metallb.io/v1beta1/namespaces/${namespace}/${k.plural}`;
const collection = (k: StatusKind, namespace: string) => ({ group: "metallb.io", version: "v1beta1", namespace, plural: k.plural });
const api = (kc: KubeCredentials): CustomObjectsApi => new CustomObjectsApi(kc.configuration);

/** Whether the object's status differs from the wanted one in any field the wanted one sets (null: absent). */
export function statusDiffers(o: KubeObject, wanted: Record<string, unknown>): boolean {
  const current = (o["status"] ?? {}) as Record<string, unknown>;
  return Object.entries(wanted).some(([k, v]) => (v === null ? current[k] !== undefined && current[k] !== null : JSON.stringify(current[k]) !== JSON.stringify(v)));
}

export async function createStatusObject(kc: KubeCredentials, k: StatusKind, namespace: string, w: WantedObject): Promise<void> {
  const where = collection(k, namespace);
  const what = `${k.kind} ${namespace}/${w.id.name}`;
  const body = { apiVersion: "metallb.io/v1beta1", kind: k.kind, metadata: { name: w.id.name, namespace, labels: statusLabels(w.id) } };
  try {
    await kubeCall(`create ${what}`, () => api(kc).createNamespacedCustomObject({ ...where, body }));
  } catch (err) {
    if (!isConflict(err)) throw err;
  }
  await kubeCall(`patch ${what} status`, () => api(kc).patchNamespacedCustomObjectStatus({ ...where, name: w.id.name, body: { status: w.status } }, mergePatch));
}

/** false on a conflict: the informer brings the newer object and the caller looks again. */
export async function patchStatusObject(kc: KubeCredentials, k: StatusKind, o: KubeObject, status: Record<string, unknown>): Promise<boolean> {
  const namespace = o.metadata.namespace ?? "";
  const body = { metadata: { resourceVersion: o.metadata.resourceVersion }, status };
  try {
    await kubeCall(`patch ${k.kind} ${namespace}/${o.metadata.name} status`, () =>
      api(kc).patchNamespacedCustomObjectStatus({ ...collection(k, namespace), name: o.metadata.name, body }, mergePatch),
    );
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
    await kubeCall(`delete ${k.kind} ${namespace}/${o.metadata.name}`, () =>
      api(kc).deleteNamespacedCustomObject({ ...collection(k, namespace), name: o.metadata.name, body: { apiVersion: "v1", kind: "DeleteOptions", preconditions } }),
    );
    return true;
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return false;
    throw err;
  }
}
