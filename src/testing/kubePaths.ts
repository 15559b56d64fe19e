// Where the test Kubernetes API binaries are: the pinned versions of scripts/kube-build/versions.env, built by
// scripts/kube-build.sh (run by scripts/setup.sh) under ~/.cache/vipmesh.
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type KubeVersions = { kube: string; etcd: string; helm: string };

/** The pinned versions, read from scripts/kube-build/versions.env (src/testing and dist/testing are two levels down). */
export function kubeVersions(): KubeVersions {
  const text = readFileSync(fileURLToPath(new URL("../../scripts/kube-build/versions.env", import.meta.url)), "utf8");
  const value = (key: string): string => {
    const m = new RegExp(`^${key}=(\\S+)$`, "m").exec(text);
    if (!m?.[1]) throw new Error(`scripts/kube-build/versions.env: ${key} missing`);
    return m[1];
  };
  return { kube: value("KUBE_VERSION"), etcd: value("ETCD_VERSION"), helm: value("HELM_VERSION") };
}

export type KubeBinaries = { kubeApiServer: string; kubectl: string; etcd: string };

/** `$VIPMESH_KUBE_BIN_DIR` (kube-apiserver, kubectl) and `$VIPMESH_ETCD_BIN_DIR` (etcd), else the cache. */
export function kubeBinaries(): KubeBinaries {
  const v = kubeVersions();
  const cache = join(homedir(), ".cache", "vipmesh");
  const kubeDir = process.env["VIPMESH_KUBE_BIN_DIR"] || join(cache, `kube-${v.kube}`, "bin");
  const etcdDir = process.env["VIPMESH_ETCD_BIN_DIR"] || join(cache, `etcd-${v.etcd}`, "bin");
  return { kubeApiServer: join(kubeDir, "kube-apiserver"), kubectl: join(kubeDir, "kubectl"), etcd: join(etcdDir, "etcd") };
}

/** helm (scripts/kube-build.sh): `$VIPMESH_HELM_BIN_DIR/helm`, else the cache. */
export function helmBinary(): string {
  const dir = process.env["VIPMESH_HELM_BIN_DIR"] || join(homedir(), ".cache", "vipmesh", `helm-${kubeVersions().helm}`, "bin");
  return join(dir, "helm");
}

/** The binaries that are missing (empty when the test API can start); tests skip themselves with this as the reason. */
export function missingKubeBinaries(): string[] {
  return Object.values(kubeBinaries()).filter((p) => !existsSync(p));
}
