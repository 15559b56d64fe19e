import { createAccount, createCurve, fromCurveSeed, fromSeed } from "@nats-io/nkeys";
import { CoreV1Api, type V1Secret } from "@kubernetes/client-node";
import { apiConfigurationOf, kubeCall } from "../apiClient.js";
import type { KubeCredentials } from "../credentials.js";
import { isConflict, isNotFound } from "../http.js";

// The auth callout's keys in a Secret, made once and kept: `issuer.seed` (the account nkey that signs speakers' users)
// and `xkey.seed` (the curve key callout requests are sealed for) for the controller; `callout.conf`, the public half
// as nats-server configuration lines (`issuer`, `xkey`), for the NATS servers, which include it in their
// `auth_callout` block. nkeys cannot be made by Helm's template functions, so an install Job makes them.

export const CALLOUT_SECRET_KEYS = { issuerSeed: "issuer.seed", xkeySeed: "xkey.seed", serverConf: "callout.conf" } as const;

export type CalloutSecretResult = { created: boolean; issuer: string; xkey: string };

const text = (b64: string | undefined): string => (b64 === undefined ? "" : Buffer.from(b64, "base64").toString("utf8").trim());
const b64 = (s: string): string => Buffer.from(s).toString("base64");

/** The server's lines for the public keys. */
export function calloutServerConf(issuer: string, xkey: string): string {
  return `issuer: "${issuer}"\nxkey: "${xkey}"\n`;
}

/** The public keys of a Secret's seeds; throws naming the key that is missing or not a seed of its kind. */
function publicKeysOf(secret: V1Secret, name: string): { issuer: string; xkey: string } {
  const read = (key: string, open: (b: Uint8Array) => { getPublicKey(): string }, prefix: string): string => {
    const seed = text(secret.data?.[key]);
    try {
      const pub = open(new TextEncoder().encode(seed)).getPublicKey();
      if (pub.startsWith(prefix)) return pub;
    } catch {
      // reported below
    }
    throw new Error(`Secret ${name}: key ${key} is not the seed of an ${prefix}... nkey; delete the Secret to make new keys (and restart the NATS servers and controllers)`);
  };
  return { issuer: read(CALLOUT_SECRET_KEYS.issuerSeed, fromSeed, "A"), xkey: read(CALLOUT_SECRET_KEYS.xkeySeed, fromCurveSeed, "X") };
}

/** Makes the Secret unless it exists (then checks it); a racing creator's Secret is taken as it is. */
export async function ensureCalloutSecret(kc: KubeCredentials, namespace: string, name: string, labels: Record<string, string>): Promise<CalloutSecretResult> {
  const api = new CoreV1Api(apiConfigurationOf(kc));
  const existing = async (): Promise<CalloutSecretResult> => ({ created: false, ...publicKeysOf(await kubeCall(`get secret ${namespace}/${name}`, () => api.readNamespacedSecret({ name, namespace })), name) });
  try {
    return await existing();
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const issuer = createAccount();
  const xkey = createCurve();
  const seed = (kp: { getSeed(): Uint8Array }): string => new TextDecoder().decode(kp.getSeed());
  const data = {
    [CALLOUT_SECRET_KEYS.issuerSeed]: b64(seed(issuer)),
    [CALLOUT_SECRET_KEYS.xkeySeed]: b64(seed(xkey)),
    [CALLOUT_SECRET_KEYS.serverConf]: b64(calloutServerConf(issuer.getPublicKey(), xkey.getPublicKey())),
  };
  try {
    await kubeCall(`create secret ${namespace}/${name}`, () => api.createNamespacedSecret({ namespace, body: { apiVersion: "v1", kind: "Secret", metadata: { name, namespace, labels }, type: "Opaque", data } }));
  } catch (err) {
    if (isConflict(err)) return existing();
    throw err;
  }
  return { created: true, issuer: issuer.getPublicKey(), xkey: xkey.getPublicKey() };
}
