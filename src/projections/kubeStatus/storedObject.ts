/** A Kubernetes object as the status projections read it (the informers' objects have this shape). */
export type StoredObject = {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; generation?: number };
  [field: string]: unknown;
};
