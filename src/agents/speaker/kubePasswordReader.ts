// A speaker's BGPPeer passwords from the API server, with the speaker's own credentials, which RBAC lets read
// Secrets only in the metallb.io objects' namespace (bgpPasswords.ts checks them against the log's hash). Two GETs,
// written over ./http.ts rather than the library's generated clients, which a speaker would load for nothing else
// (about 40 MB of RSS: docs/kubernetes.md).
import { PASSWORD_KEY, secretPassword } from "../../config/bgpPassword.js";
import type { BgpPasswordRef } from "../../config/types.js";
import type { KubeCredentials } from "../../kube/credentials.js";
import { isNotFound, kubeRequest } from "../../kube/http.js";
import type { PasswordReader } from "./bgpPasswords.js";

type PeerObject = { spec?: { password?: string; passwordSecret?: { name?: string; namespace?: string } } };

/** `namespace`: where the metallb.io objects live, for references that name none. */
export function kubePasswordReader(kc: KubeCredentials, namespace: string): PasswordReader {
  const get = async <T>(path: string): Promise<T | undefined> => {
    try {
      return await kubeRequest<T>(kc, { method: "GET", path });
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const fromSecret = async (ns: string, name: string, key: string): Promise<{ value: string } | { missing: string }> => {
    const secret = await get<{ data?: Record<string, string> }>(`/api/v1/namespaces/${encodeURIComponent(ns)}/secrets/${encodeURIComponent(name)}`);
    const value = secret === undefined ? undefined : secretPassword(secret, key);
    return value === undefined ? { missing: `no Secret ${ns}/${name} with key ${key}` } : { value };
  };
  return {
    where: kc.server,
    async read(ref: BgpPasswordRef) {
      const ns = ref.namespace ?? namespace;
      if (ref.from === "secret") return fromSecret(ns, ref.name, ref.key);
      const peer = await get<PeerObject>(`/apis/metallb.io/v1beta2/namespaces/${encodeURIComponent(ns)}/bgppeers/${encodeURIComponent(ref.name)}`);
      if (peer?.spec?.password !== undefined) return { value: peer.spec.password };
      const s = peer?.spec?.passwordSecret;
      if (s?.name !== undefined) return fromSecret(s.namespace ?? ns, s.name, PASSWORD_KEY);
      return { missing: peer === undefined ? `no BGPPeer ${ns}/${ref.name}` : `BGPPeer ${ns}/${ref.name} has no password` };
    },
  };
}
