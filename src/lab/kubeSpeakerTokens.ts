// Speakers of the Kubernetes lab log in to NATS as the chart's DaemonSet Pods do (nats.auth.mode callout): with a
// ServiceAccount token of the speaker ServiceAccount, for the chart's audience, bound to a Pod on the speaker's Node.
// The lab has no kubelet, so it makes what the kubelet would: a Node and a speaker Pod object per lab node in the real
// API server, and each Pod's token from TokenRequest, written where the speaker reads it. `renew` replaces a token as
// the kubelet does before it expires; short lifetimes (under TokenRequest's 10 minute minimum) are signed with the test
// API server's own key (src/testing/serviceAccountToken.ts).
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeApiServer } from "../testing/kubeApiServer.js";
import { boundTokenIds, signBoundToken } from "../testing/serviceAccountToken.js";
import { ChartCommandError, type ChartContainer } from "./chartCommands.js";

/** What the chart's controller checks a speaker's token against (its --nats-callout-* flags). */
export type CalloutIdentity = { audience: string; serviceAccount: string; namespace: string };

export function calloutIdentityOf(controller: ChartContainer): CalloutIdentity {
  const flag = (name: string): string => {
    const arg = controller.args.find((a) => a.startsWith(`--${name}=`));
    if (arg === undefined) throw new ChartCommandError(`chart: the controller has no --${name}=… (is nats.auth.mode callout?)`);
    return arg.slice(name.length + 3);
  };
  return { audience: flag("nats-callout-audience"), serviceAccount: flag("nats-callout-service-account"), namespace: flag("nats-callout-namespace") };
}

export type KubeSpeakerTokens = {
  /** The token file of `node`'s speaker (exists once `create` returned). */
  fileOf: (node: string) => string;
  /** Writes a fresh token for `node`'s Pod, expiring in `lifetimeS` seconds (any lifetime), as the kubelet renews it. */
  renew: (node: string, lifetimeS: number) => Promise<void>;
};

export const speakerPodName = (node: string): string => `vipmesh-speaker-${node}`;

/** Creates the ServiceAccount, the Nodes and the speaker Pods, and a TokenRequest token (1 h) per node in `dir`. */
export async function createKubeSpeakerTokens(api: KubeApiServer, id: CalloutIdentity, nodes: readonly string[], dir: string): Promise<KubeSpeakerTokens> {
  const ok = async (args: string[], input?: string): Promise<string> => {
    const r = await api.kubectl(args, input === undefined ? {} : { input });
    if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  };
  const fileOf = (node: string): string => join(dir, `nats-token-${node}`);
  const sa = { apiVersion: "v1", kind: "ServiceAccount", metadata: { name: id.serviceAccount, namespace: id.namespace } };
  const pod = (node: string): object => ({
    apiVersion: "v1", kind: "Pod", metadata: { name: speakerPodName(node), namespace: id.namespace },
    spec: { nodeName: node, serviceAccountName: id.serviceAccount, automountServiceAccountToken: false, containers: [{ name: "speaker", image: "vipmesh:lab" }] },
  });
  const nodeObj = (node: string): object => ({ apiVersion: "v1", kind: "Node", metadata: { name: node } });
  // One apply for all of them: kubectl starts take most of the time on a loaded machine.
  await ok(["apply", "-f", "-"], JSON.stringify({ apiVersion: "v1", kind: "List", items: [sa, ...nodes.map(nodeObj), ...nodes.map(pod)] }));
  await Promise.all(nodes.map(async (node) => {
    const token = await ok(["create", "token", "-n", id.namespace, id.serviceAccount, "--audience", id.audience, "--bound-object-kind", "Pod", "--bound-object-name", speakerPodName(node), "--duration", "1h"]);
    writeFileSync(fileOf(node), token.trim(), { mode: 0o600 });
  }));
  return {
    fileOf,
    renew: async (node, lifetimeS) => {
      const ids = await boundTokenIds(api, id.namespace, speakerPodName(node), node, id.serviceAccount);
      const exp = Math.floor(Date.now() / 1000) + lifetimeS;
      // Written aside and renamed into place, as the kubelet swaps projected files: a reader never sees half a token.
      writeFileSync(`${fileOf(node)}.new`, signBoundToken(api, { namespace: id.namespace, audience: id.audience, exp, ...ids }), { mode: 0o600 });
      renameSync(`${fileOf(node)}.new`, fileOf(node));
    },
  };
}
