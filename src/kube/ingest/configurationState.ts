import { isNotFound, kubeRequest, KubeApiError } from "../http.js";
import type { KubeCredentials } from "../credentials.js";
import { servingNotice } from "../../config/servingNotice.js";

// The ConfigurationState a component reports its configuration's validity in (MetalLB's shape): Valid, or
// Invalid with every problem naming object, field and reason. Written only when the result changes.

export type ConfigurationStateRef = { namespace: string; name: string; component: "controller" | "speaker"; node: string | null };

const path = (ref: ConfigurationStateRef, sub = ""): string =>
  `/apis/metallb.io/v1beta1/namespaces/${ref.namespace}/configurationstates/${ref.name}${sub}`;

async function ensureExists(kc: KubeCredentials, ref: ConfigurationStateRef): Promise<void> {
  try {
    await kubeRequest(kc, { method: "GET", path: path(ref) });
  } catch (err) {
    if (!isNotFound(err)) throw err;
    const labels: Record<string, string> = { "metallb.io/component-type": ref.component, ...(ref.node ? { "metallb.io/node-name": ref.node } : {}) };
    const body = { apiVersion: "metallb.io/v1beta1", kind: "ConfigurationState", metadata: { name: ref.name, namespace: ref.namespace, labels } };
    await kubeRequest(kc, { method: "POST", path: `/apis/metallb.io/v1beta1/namespaces/${ref.namespace}/configurationstates`, body }).catch((e: unknown) => {
      if (!(e instanceof KubeApiError && e.status === 409)) throw e;
    });
  }
}

export class ConfigurationStateWriter {
  private written: string | null = null;

  constructor(
    private readonly kc: KubeCredentials,
    private readonly ref: ConfigurationStateRef,
  ) {}

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
    await ensureExists(this.kc, this.ref);
    await kubeRequest(this.kc, { method: "PATCH", path: path(this.ref, "/status"), body: { status }, contentType: "application/merge-patch+json" });
    this.written = key;
  }
}
