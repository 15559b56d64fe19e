// A speaker's BGPPeer passwords from the API server, with the speaker's own credentials, which RBAC lets read
// Secrets only in the metallb.io objects' namespace (bgpPasswords.ts checks them against the log's hash).
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { PASSWORD_KEY, secretPassword } from "../../config/bgpPassword.js";
import type { BgpPasswordRef } from "../../config/types.js";
import { kubeCall } from "../../kube/apiClient.js";
import type { KubeCredentials } from "../../kube/credentials.js";
import { isNotFound } from "../../kube/http.js";
import type { PasswordReader } from "./bgpPasswords.js";

type PeerObject = { spec?: { password?: string; passwordSecret?: { name?: string; namespace?: string } } };

/** `namespace`: where the metallb.io objects live, for references that name none. */
export function kubePasswordReader(kc: KubeCredentials, namespace: string): PasswordReader {
  const core = new CoreV1Api(kc.configuration);
  const custom = new CustomObjectsApi(kc.configuration);
  const get = async <T>(what: string, call: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await kubeCall(what, call);
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  };
  const fromSecret = async (ns: string, name: string, key: string): Promise<{ value: string } | { missing: string }> => {
    const secret = await get(`get Secret ${ns}/${name}`, () => core.readNamespacedSecret({ namespace: ns, name }));
    const value = secret === undefined ? undefined : secretPassword(secret, key);
    return value === undefined ? { missing: `no Secret ${ns}/${name} with key ${key}` } : { value };
  };
  return {
    where: kc.server,
    async read(ref: BgpPasswordRef) {
      const ns = ref.namespace ?? namespace;
      if (ref.from === "secret") return fromSecret(ns, ref.name, ref.key);
      const peer = await get(`get BGPPeer ${ns}/${ref.name}`, () =>
        custom.getNamespacedCustomObject({ group: "metallb.io", version: "v1beta2", namespace: ns, plural: "bgppeers", name: ref.name }) as Promise<PeerObject>,
      );
      if (peer?.spec?.password !== undefined) return { value: peer.spec.password };
      const s = peer?.spec?.passwordSecret;
      if (s?.name !== undefined) return fromSecret(s.namespace ?? ns, s.name, PASSWORD_KEY);
      return { missing: peer === undefined ? `no BGPPeer ${ns}/${ref.name}` : `BGPPeer ${ns}/${ref.name} has no password` };
    },
  };
}
