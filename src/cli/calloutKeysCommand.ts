import { Command, Option } from "commander";
import { loadKubeCredentials } from "../kube/credentials.js";
import { ensureCalloutSecret } from "../kube/natsCallout/calloutKeySecret.js";

/** `vipmesh nats-callout-keys`: the install step that makes the auth callout's keys Secret once (the chart's Job). */
export function calloutKeysCommand(): Command {
  return new Command("nats-callout-keys")
    .description("Make the Secret holding the NATS auth callout's keys (issuer and xkey seeds, and the servers' callout.conf) unless it exists; print the public keys. Safe to run again.")
    .addOption(new Option("--kubeconfig <file>", "Kubernetes credentials (default: $KUBECONFIG, else in-cluster)"))
    .addOption(new Option("--namespace <ns>", "namespace of the Secret").env("VIPMESH_NAMESPACE").default("metallb-system"))
    .addOption(new Option("--secret <name>", "name of the Secret").default("vipmesh-nats-callout"))
    .action(async (o: Record<string, string | undefined>) => {
      const kc = loadKubeCredentials(o["kubeconfig"]);
      if (!kc) throw new Error("nats-callout-keys: no Kubernetes credentials (--kubeconfig, $KUBECONFIG or in-cluster)");
      const namespace = o["namespace"] ?? "metallb-system";
      const name = o["secret"] ?? "vipmesh-nats-callout";
      const r = await ensureCalloutSecret(kc, namespace, name, { "app.kubernetes.io/name": "vipmesh", "app.kubernetes.io/component": "nats" });
      process.stdout.write(`${r.created ? "made" : "kept"} Secret ${namespace}/${name}: auth callout issuer ${r.issuer}, xkey ${r.xkey}\n`);
    });
}
