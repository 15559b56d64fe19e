import { createPrivateKey, createSign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeApiServer } from "./kubeApiServer.js";

// A pod-bound ServiceAccount token signed with the test API server's own key, shaped as TokenRequest makes them, but
// with any expiry: TokenRequest refuses lifetimes under 10 minutes, so an expired token can only be made this way.

export type BoundTokenClaims = {
  namespace: string;
  serviceAccount: { name: string; uid: string };
  pod: { name: string; uid: string };
  node: { name: string; uid: string };
  audience: string;
  /** Seconds since the epoch. */
  exp: number;
};

export function signBoundToken(api: Pick<KubeApiServer, "dir">, c: BoundTokenClaims): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    aud: [c.audience], exp: c.exp, iat: now - 60, nbf: now - 60, iss: "https://kubernetes.default.svc.cluster.local", jti: `test-${now}-${c.pod.name}`,
    sub: `system:serviceaccount:${c.namespace}:${c.serviceAccount.name}`,
    "kubernetes.io": { namespace: c.namespace, node: c.node, pod: c.pod, serviceaccount: c.serviceAccount },
  };
  const signing = `${Buffer.from(JSON.stringify({ alg: "RS256", kid: "" })).toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}`;
  const key = createPrivateKey(readFileSync(join(api.dir, "sa.key")));
  return `${signing}.${createSign("RSA-SHA256").update(signing).sign(key).toString("base64url")}`;
}

/** The uids the claims need, read with kubectl. */
export async function boundTokenIds(api: Pick<KubeApiServer, "kubectl">, namespace: string, pod: string, node: string, serviceAccount: string): Promise<Pick<BoundTokenClaims, "pod" | "node" | "serviceAccount">> {
  const uid = async (args: string[]): Promise<string> => {
    const r = await api.kubectl(["get", ...args, "-o", "jsonpath={.metadata.uid}"]);
    if (r.code !== 0) throw new Error(`kubectl get ${args.join(" ")}: ${r.stderr}`);
    return r.stdout.trim();
  };
  return {
    pod: { name: pod, uid: await uid(["pod", pod, "-n", namespace]) },
    node: { name: node, uid: await uid(["node", node]) },
    serviceAccount: { name: serviceAccount, uid: await uid(["serviceaccount", serviceAccount, "-n", namespace]) },
  };
}
