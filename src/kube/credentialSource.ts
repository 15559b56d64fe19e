import { existsSync } from "node:fs";
import { delimiter } from "node:path";

// Which Kubernetes credentials a command has, decided without loading @kubernetes/client-node (its import alone
// costs a process about 70 MB of RSS), so a command without any never loads it: an explicit --kubeconfig, else
// $KUBECONFIG's files, else in-cluster service-account credentials when the environment and token are there.

export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

export type CredentialSource = { kind: "kubeconfig"; path: string } | { kind: "kubeconfigs"; paths: string[] } | { kind: "in-cluster" } | null;

export function credentialSource(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): CredentialSource {
  if (explicit !== undefined && explicit !== "") return { kind: "kubeconfig", path: explicit };
  const paths = (env["KUBECONFIG"] ?? "").split(delimiter).filter((f) => f !== "");
  if (paths.length > 0) return { kind: "kubeconfigs", paths };
  if (!env["KUBERNETES_SERVICE_HOST"] || !existsSync(`${SERVICE_ACCOUNT_DIR}/token`)) return null;
  return { kind: "in-cluster" };
}
