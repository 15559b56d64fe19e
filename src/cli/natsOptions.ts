import { InvalidArgumentError, Option, type Command } from "commander";
import { checkSecurityFiles, type NatsAuth, type NatsClientSecurity, type NatsTls, type SecurityFile } from "../adapters/nats/security.js";
import { inboxPrefixOf, type Role } from "../events/permissions.js";
import { toToken } from "../events/subjects.js";
import { listOption } from "./options.js";

// --nats and how to authenticate and encrypt: one set of flags (and VIPMESH_NATS_* variables) for every command
// that connects. A password is never a flag value (it would show in ps): a file, or the VIPMESH_NATS_PASSWORD variable.

export const PASSWORD_ENV = "VIPMESH_NATS_PASSWORD";

export type NatsCliTarget = { natsServers: string[]; natsSecurity: NatsClientSecurity };

export function addNatsOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--nats <urls>", "NATS server URLs, comma-separated").env("VIPMESH_NATS").default("nats://127.0.0.1:4222"))
    .addOption(new Option("--nats-creds <file>", "NATS credentials file (.creds: user JWT and nkey seed)").env("VIPMESH_NATS_CREDS"))
    .addOption(new Option("--nats-nkey <file>", "file holding this agent's NATS nkey seed (SU...)").env("VIPMESH_NATS_NKEY"))
    .addOption(new Option("--nats-token-file <file>", "file holding a token for the servers' auth callout (a projected ServiceAccount token; read again on every connect)").env("VIPMESH_NATS_TOKEN_FILE"))
    .addOption(new Option("--nats-user <name>", `NATS user; the password comes from --nats-password-file or $${PASSWORD_ENV}`).env("VIPMESH_NATS_USER"))
    .addOption(new Option("--nats-password-file <file>", "file holding the NATS user's password").env("VIPMESH_NATS_PASSWORD_FILE"))
    .addOption(new Option("--nats-ca <file>", "CA certificate(s) that sign the NATS servers' certificates; turns TLS on").env("VIPMESH_NATS_CA"))
    .addOption(new Option("--nats-cert <file>", "client certificate for mutual TLS (with --nats-key)").env("VIPMESH_NATS_CERT"))
    .addOption(new Option("--nats-key <file>", "client certificate's private key (with --nats-cert)").env("VIPMESH_NATS_KEY"))
    .addOption(new Option("--nats-tls-server-name <name>", "name the servers' certificates must carry (default: the URL's host)").env("VIPMESH_NATS_TLS_SERVER_NAME"));
}

const file = (o: Record<string, unknown>, key: string, flag: string): SecurityFile | null => {
  const value = o[key];
  return typeof value === "string" && value !== "" ? { path: value, source: flag } : null;
};

function authFromOptions(o: Record<string, unknown>): NatsAuth | null {
  const creds = file(o, "natsCreds", "--nats-creds");
  const nkey = file(o, "natsNkey", "--nats-nkey");
  const token = file(o, "natsTokenFile", "--nats-token-file");
  const user = typeof o["natsUser"] === "string" && o["natsUser"] !== "" ? o["natsUser"] : null;
  const passwordFile = file(o, "natsPasswordFile", "--nats-password-file");
  const given = [creds && "--nats-creds", nkey && "--nats-nkey", token && "--nats-token-file", user !== null && "--nats-user"].filter((f): f is string => typeof f === "string");
  if (given.length > 1) throw new InvalidArgumentError(`${given.join(" and ")}: give one way to authenticate to NATS, not ${given.length}`);
  if (passwordFile && user === null) throw new InvalidArgumentError("--nats-password-file needs --nats-user");
  if (creds) return { kind: "creds", file: creds };
  if (nkey) return { kind: "nkey", seedFile: nkey };
  if (token) return { kind: "token", file: token };
  if (user === null) return null;
  if (passwordFile) return { kind: "password", user, password: { file: passwordFile } };
  if (process.env[PASSWORD_ENV] === undefined) throw new InvalidArgumentError(`--nats-user ${user}: no password (give --nats-password-file or set $${PASSWORD_ENV})`);
  return { kind: "password", user, password: { env: PASSWORD_ENV } };
}

function tlsFromOptions(o: Record<string, unknown>): NatsTls | null {
  const caFile = file(o, "natsCa", "--nats-ca");
  const certFile = file(o, "natsCert", "--nats-cert");
  const keyFile = file(o, "natsKey", "--nats-key");
  const serverName = typeof o["natsTlsServerName"] === "string" && o["natsTlsServerName"] !== "" ? o["natsTlsServerName"] : null;
  if (!caFile) {
    const needing = [certFile && "--nats-cert", keyFile && "--nats-key", serverName !== null && "--nats-tls-server-name"].filter((f): f is string => typeof f === "string");
    if (needing.length > 0) throw new InvalidArgumentError(`${needing.join(", ")} needs --nats-ca (the CA that signs the NATS servers' certificates)`);
    return null;
  }
  if ((certFile === null) !== (keyFile === null)) throw new InvalidArgumentError("--nats-cert and --nats-key go together (mutual TLS needs both)");
  return { caFile, certFile, keyFile, serverName };
}

/** The role a command connects in, and its identity (none for reader and admin): its replies go to the role's inbox. */
export type CommandRole = { role: Role; id: string | null };

/** The servers and security of `addNatsOptions`, checked once: a missing or unreadable file stops the command here. */
export function natsFromOptions(o: Record<string, unknown>, as: CommandRole): NatsCliTarget {
  const inboxPrefix = inboxPrefixOf(as.role, as.id === null ? null : toToken(as.id));
  const natsSecurity = { auth: authFromOptions(o), tls: tlsFromOptions(o), inboxPrefix };
  checkSecurityFiles(natsSecurity);
  return { natsServers: listOption(typeof o["nats"] === "string" ? o["nats"] : undefined), natsSecurity };
}
