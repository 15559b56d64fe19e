// Throw-away certificates made with openssl in a directory (P-256 keys, valid two days): a CA and leaves signed by it.
// Nothing here is trusted outside that directory.
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";

export function openssl(dir: string, args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** `<name>.crt` and `<name>.key`: a self-signed CA. */
export function makeCa(dir: string, name: string, commonName: string): void {
  openssl(dir, ["req", "-x509", ...EC, "-keyout", `${name}.key`, "-out", `${name}.crt`, "-days", "2", "-subj", `/CN=${commonName}`]);
}

/** `<name>.crt` and `<name>.key` (a new key each time), signed by the CA `<ca>.crt`/`<ca>.key` in the same dir. */
export function signCert(dir: string, name: string, subject: string, extensions: string, ca = "ca"): void {
  openssl(dir, ["req", ...EC, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subject]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, ["x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.crt`, "-CAkey", `${ca}.key`, "-CAcreateserial", "-days", "2", "-sha256", "-out", `${name}.crt`, "-extfile", `${name}.ext`]);
}

/** subjectAltName entries for names and addresses. */
export function altNames(hosts: string[]): string {
  return [...new Set(hosts)].map((h) => (isIP(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
}
