import { readFileSync } from "node:fs";
import {
  credsAuthenticator,
  nkeyAuthenticator,
  tokenAuthenticator,
  usernamePasswordAuthenticator,
  type Authenticator,
  type ConnectionOptions,
  type TlsOptions,
} from "@nats-io/transport-node";

// Credentials and TLS for every NATS connection, built once at the composition root. Every file is named with the
// flag it came from, and read again on every (re)connect, so rotated material on disk is what the next connect uses.

/** A file the client reads on every connect; `source` (a flag such as --nats-ca) is how errors name it. */
export type SecurityFile = { path: string; source: string };

export type NatsAuth =
  | { kind: "creds"; file: SecurityFile }
  | { kind: "nkey"; seedFile: SecurityFile }
  | { kind: "password"; user: string; password: { file: SecurityFile } | { env: string } }
  /** A bearer token for the server's auth callout (a speaker's projected ServiceAccount token in Kubernetes). */
  | { kind: "token"; file: SecurityFile };

export type NatsTls = {
  caFile: SecurityFile;
  /** With `keyFile`: a client certificate, for servers that verify clients (mutual TLS). */
  certFile: SecurityFile | null;
  keyFile: SecurityFile | null;
  /** The name the server's certificate must carry; without it, the host of the URL dialled. */
  serverName: string | null;
};

/** `inboxPrefix`: where replies to this client go; a role's NATS user may read only its own (permissions.ts). */
export type NatsClientSecurity = { auth: NatsAuth | null; tls: NatsTls | null; inboxPrefix?: string };

export const NO_SECURITY: NatsClientSecurity = { auth: null, tls: null };

export class NatsSecurityFileError extends Error {
  readonly code = "NATS_SECURITY_FILE";
}

/** Every file the client reads, in a stable order (rotation compares them). */
export function securityFiles(sec: NatsClientSecurity): SecurityFile[] {
  const files: SecurityFile[] = [];
  if (sec.auth?.kind === "creds" || sec.auth?.kind === "token") files.push(sec.auth.file);
  if (sec.auth?.kind === "nkey") files.push(sec.auth.seedFile);
  if (sec.auth?.kind === "password" && "file" in sec.auth.password) files.push(sec.auth.password.file);
  if (sec.tls) files.push(...[sec.tls.caFile, sec.tls.certFile, sec.tls.keyFile].filter((f): f is SecurityFile => f !== null));
  return files;
}

/** The file's bytes, or NatsSecurityFileError naming the flag and the path. */
export function readSecurityFile(file: SecurityFile): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file.path);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (err as Error).message;
    throw new NatsSecurityFileError(`${file.source}: cannot read ${file.path}: ${why}`);
  }
  if (bytes.length === 0) throw new NatsSecurityFileError(`${file.source}: ${file.path} is empty`);
  return bytes;
}

/** Reads every file once, so a missing or unreadable one stops the command at start, named by flag and path. */
export function checkSecurityFiles(sec: NatsClientSecurity): void {
  for (const file of securityFiles(sec)) readSecurityFile(file);
  if (sec.auth?.kind === "password" && "env" in sec.auth.password) readPasswordEnv(sec.auth.password.env);
}

function readPasswordEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === "") throw new NatsSecurityFileError(`${name}: the NATS password variable is not set`);
  return value;
}

function passwordReader(auth: Extract<NatsAuth, { kind: "password" }>): () => string {
  const from = auth.password;
  return "file" in from ? () => readSecurityFile(from.file).toString("utf8").replace(/\r?\n$/, "") : () => readPasswordEnv(from.env);
}

function authenticatorFor(auth: NatsAuth): Authenticator {
  switch (auth.kind) {
    case "creds":
      return credsAuthenticator(() => new Uint8Array(readSecurityFile(auth.file)));
    case "nkey":
      return nkeyAuthenticator(() => new TextEncoder().encode(readSecurityFile(auth.seedFile).toString("utf8").trim()));
    case "password":
      return usernamePasswordAuthenticator(auth.user, passwordReader(auth));
    case "token":
      return tokenAuthenticator(() => readSecurityFile(auth.file).toString("utf8").trim());
  }
}

/** The client's own TLS options plus node's `servername` (the transport passes extra fields on to tls.connect). */
function tlsOptionsFor(tls: NatsTls): TlsOptions {
  const opts: TlsOptions & { servername?: string } = { caFile: tls.caFile.path };
  if (tls.certFile) opts.certFile = tls.certFile.path;
  if (tls.keyFile) opts.keyFile = tls.keyFile.path;
  if (tls.serverName !== null) opts.servername = tls.serverName;
  return opts;
}

/**
 * The connection options for `sec`. `ignoreAuthErrorAbort` keeps the client reconnecting after two refusals in a
 * row: during a rotation the server and the files on disk disagree for a moment, and the next attempt reads them again.
 */
export function connectionSecurityOptions(sec: NatsClientSecurity): Partial<ConnectionOptions> {
  return {
    ...(sec.auth ? { authenticator: authenticatorFor(sec.auth) } : {}),
    ...(sec.tls ? { tls: tlsOptionsFor(sec.tls) } : {}),
    ...(sec.inboxPrefix !== undefined ? { inboxPrefix: sec.inboxPrefix } : {}),
    ignoreAuthErrorAbort: true,
  };
}

/** Who the client says it is, for log lines and error messages (never a secret). */
export function describeIdentity(sec: NatsClientSecurity): string {
  const auth = sec.auth;
  const who =
    auth === null ? "anonymous"
    : auth.kind === "password" ? `user "${auth.user}"`
    : auth.kind === "creds" ? `credentials ${auth.file.path}`
    : auth.kind === "token" ? `token ${auth.file.path}`
    : `nkey seed ${auth.seedFile.path}`;
  return sec.tls ? `${who} over TLS (CA ${sec.tls.caFile.path}${sec.tls.certFile ? `, client certificate ${sec.tls.certFile.path}` : ""})` : who;
}
