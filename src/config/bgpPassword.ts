import { createHash } from "node:crypto";
import { bgpPeerSchema, secretSchema, type BgpPeerManifest, type SecretManifest } from "./bgpSchemas.js";
import type { BgpPasswordRef } from "./types.js";

// A BGPPeer's TCP MD5 password as the log carries it: a reference and a hash, never the value. The same rules find
// the value again where the speaker reads it (its own configuration file here; the API server in kube/).

/** The key of a basic-auth Secret that holds the password (MetalLB's passwordSecret). */
export const PASSWORD_KEY = "password";

/** TCP MD5 keys are at most 80 bytes (RFC 2385 implementations; MetalLB's limit). */
export const MAX_PASSWORD_LENGTH = 80;

export const passwordSha256 = (value: string): string => createHash("sha256").update(value, "utf8").digest("hex");

/** A Secret's password: stringData first (a manifest not yet applied), else base64 data; undefined when absent. */
export function secretPassword(secret: { data?: Record<string, string>; stringData?: Record<string, string> }, key = PASSWORD_KEY): string | undefined {
  const text = secret.stringData?.[key];
  if (text !== undefined) return text;
  const data = secret.data?.[key];
  return data === undefined ? undefined : Buffer.from(data, "base64").toString("utf8");
}

const sameNamespace = (wanted: string | null | undefined, actual: string | undefined): boolean => wanted === undefined || wanted === null || actual === undefined || actual === wanted;

/**
 * The reference for BGPPeer `p` (`password` or `passwordSecret`), with the value's hash; null without a password.
 * Problems name the object and field; the value itself never appears in one.
 */
export function passwordRefFor(p: BgpPeerManifest, secrets: readonly SecretManifest[], problems: string[]): BgpPasswordRef | null {
  const { password, passwordSecret: ref } = p.spec;
  const at = `BGPPeer/${p.metadata.name}: spec.passwordSecret`;
  const namespace = p.metadata.namespace ?? null;
  if (password !== undefined && ref !== undefined) {
    problems.push(`${at}: password and passwordSecret are mutually exclusive`);
    return null;
  }
  if (ref === undefined) return password === undefined ? null : { from: "peer", namespace, name: p.metadata.name, sha256: passwordSha256(password) };
  const secret = secrets.find((x) => x.metadata.name === ref.name && sameNamespace(ref.namespace, x.metadata.namespace));
  if (!secret) {
    problems.push(`${at}.name: no Secret "${ref.name}"${ref.namespace ? ` in namespace ${ref.namespace}` : ""}`);
    return null;
  }
  if (secret.type !== undefined && secret.type !== "kubernetes.io/basic-auth") problems.push(`Secret/${ref.name}: type: must be kubernetes.io/basic-auth, not ${secret.type}`);
  const text = secretPassword(secret);
  if (text === undefined) problems.push(`Secret/${ref.name}: data.password: missing`);
  else if (text.length > MAX_PASSWORD_LENGTH) problems.push(`Secret/${ref.name}: data.password: longer than ${MAX_PASSWORD_LENGTH} characters (the TCP MD5 key limit)`);
  if (text === undefined) return null;
  return { from: "secret", namespace: ref.namespace ?? secret.metadata.namespace ?? namespace, name: ref.name, key: PASSWORD_KEY, sha256: passwordSha256(text) };
}

/**
 * The value `ref` points at among manifest objects (a configuration file the speaker reads itself), or a reason it
 * is not there. Whether it is the right one is the caller's check against `ref.sha256`.
 */
export function passwordInObjects(objects: readonly unknown[], ref: BgpPasswordRef): { value: string } | { missing: string } {
  const parsed = (kind: "BGPPeer" | "Secret", name: string, namespace: string | null) =>
    objects.find((o): boolean => {
      if (typeof o !== "object" || o === null || (o as { kind?: unknown }).kind !== kind) return false;
      const meta = (o as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
      return meta?.name === name && sameNamespace(namespace, typeof meta.namespace === "string" ? meta.namespace : undefined);
    });
  const fromSecret = (name: string, namespace: string | null, key: string): { value: string } | { missing: string } => {
    const s = secretSchema.safeParse(parsed("Secret", name, namespace));
    const value = s.success ? secretPassword(s.data, key) : undefined;
    return value === undefined ? { missing: `no Secret ${name} with key ${key}` } : { value };
  };
  if (ref.from === "secret") return fromSecret(ref.name, ref.namespace, ref.key);
  const peer = bgpPeerSchema.safeParse(parsed("BGPPeer", ref.name, ref.namespace));
  if (!peer.success) return { missing: `no BGPPeer ${ref.name}` };
  const { password, passwordSecret } = peer.data.spec;
  if (password !== undefined) return { value: password };
  if (passwordSecret !== undefined) return fromSecret(passwordSecret.name, passwordSecret.namespace ?? ref.namespace, PASSWORD_KEY);
  return { missing: `BGPPeer ${ref.name} has no password` };
}
