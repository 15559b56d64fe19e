import { CustomObjectsApi } from "@kubernetes/client-node";
import { apiConfigurationOf, kubeCall, mergePatch } from "../apiClient.js";
import { isConflict, isNotFound } from "../http.js";
import type { KubeCredentials } from "../credentials.js";
import { servingNotice } from "../../config/servingNotice.js";

// The ConfigurationState a component reports its configuration's validity in (MetalLB's shape): Valid, or
// Invalid with every problem naming object, field and reason. Written only when the result changes.

export type ConfigurationStateRef = { namespace: string; name: string; component: "controller" | "speaker"; node: string | null };

const collection = (ref: ConfigurationStateRef) => ({ group: "metallb.io", version: "v1beta1", namespace: ref.namespace, plural: "configurationstates" });
const what = (ref: ConfigurationStateRef): string => `ConfigurationState ${ref.namespace}/${ref.name}`;

async function ensureExists(api: CustomObjectsApi, ref: ConfigurationStateRef): Promise<void> {
  try {
    await kubeCall(`get ${what(ref)}`, () => api.getNamespacedCustomObject({ ...collection(ref), name: ref.name }));
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const labels: Record<string, string> = { "metallb.io/component-type": ref.component, ...(ref.node ? { "metallb.io/node-name": ref.node } : {}) };
    const body = { apiVersion: "metallb.io/v1beta1", kind: "ConfigurationState", metadata: { name: ref.name, namespace: ref.namespace, labels } };
    await kubeCall(`create ${what(ref)}`, () => api.createNamespacedCustomObject({ ...collection(ref), body })).catch((e: unknown) => {
      if (!isConflict(e)) throw e;
    });
  }
}

export class ConfigurationStateWriter {
  private written: string | null = null;
  private readonly api: CustomObjectsApi;

  constructor(
    kc: KubeCredentials,
    private readonly ref: ConfigurationStateRef,
  ) {
    this.api = new CustomObjectsApi(apiConfigurationOf(kc));
  }

  /**
   * problems: empty for a valid configuration; ignored: the objects left out for them (null: the whole
   * configuration was refused; `serving`: some configuration is on the log to keep serving). Errors propagate; the
   * next report tries again.
   */
  async report(problems: readonly string[], ignored: readonly string[] | null = null, serving = true): Promise<void> {
    const served = ignored === null ? servingNotice(serving) : `ignored, their last good form keeps serving: ${ignored.join(", ")}`;
    const status = problems.length === 0 ? { result: "Valid", lastError: "" } : { result: "Invalid", lastError: `${problems.join("\n")}\n(${served})`.slice(0, 32_768) };
    const key = JSON.stringify(status);
    if (key === this.written) return;
    await ensureExists(this.api, this.ref);
    const ref = this.ref;
    await kubeCall(`patch ${what(ref)} status`, () => this.api.patchNamespacedCustomObjectStatus({ ...collection(ref), name: ref.name, body: { status } }, mergePatch));
    this.written = key;
  }
}
