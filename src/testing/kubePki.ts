// Certificates and keys for a throw-away test API server, made with openssl in a temp dir: a CA, the serving
// certificate (with the addresses clients dial as SANs), an admin client certificate in group system:masters, and
// the service-account signing key pair. Nothing here is trusted outside that dir; it is deleted with the server.
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { altNames, makeCa, signCert } from "./opensslPki.js";

export type KubePki = {
  caCert: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPub: string;
};

/** Writes the PKI into `dir`; `hosts` are the names and addresses the server is reached at (loopback is always in). */
export function makeKubePki(dir: string, hosts: string[]): KubePki {
  makeCa(dir, "ca", "vipmesh-test-ca");
  const san = altNames(["127.0.0.1", "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", ...hosts]);
  signCert(dir, "server", "/CN=kube-apiserver", `subjectAltName=${san}\nextendedKeyUsage=serverAuth\nkeyUsage=digitalSignature\n`);
  signCert(dir, "admin", "/O=system:masters/CN=vipmesh-test-admin", "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n");
  const sa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  writeFileSync(join(dir, "sa.key"), sa.privateKey.export({ type: "pkcs8", format: "pem" }));
  writeFileSync(join(dir, "sa.pub"), sa.publicKey.export({ type: "spki", format: "pem" }));
  const at = (f: string): string => join(dir, f);
  return {
    caCert: at("ca.crt"),
    serverCert: at("server.crt"),
    serverKey: at("server.key"),
    adminCert: at("admin.crt"),
    adminKey: at("admin.key"),
    serviceAccountKey: at("sa.key"),
    serviceAccountPub: at("sa.pub"),
  };
}

/** A kubeconfig for the admin user (certificates inlined, so the file can be copied anywhere while the server runs). */
export function adminKubeconfig(pki: KubePki, server: string): string {
  const b64 = (f: string): string => readFileSync(f).toString("base64");
  return [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    "- name: vipmesh-test",
    "  cluster:",
    `    server: ${server}`,
    `    certificate-authority-data: ${b64(pki.caCert)}`,
    "users:",
    "- name: admin",
    "  user:",
    `    client-certificate-data: ${b64(pki.adminCert)}`,
    `    client-key-data: ${b64(pki.adminKey)}`,
    "contexts:",
    "- name: vipmesh-test",
    "  context: { cluster: vipmesh-test, user: admin, namespace: default }",
    "current-context: vipmesh-test",
    "",
  ].join("\n");
}
