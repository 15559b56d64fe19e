// A per-run PKI and user list for a test or lab nats-server: a CA, a serving certificate (server and route auth, the
// addresses clients dial as SANs), one client certificate (mutual TLS), and a password file per user. The server's
// configuration and every client's options come from here, so tests and lab agents connect the way production does.
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { NatsClientSecurity } from "../adapters/nats/security.js";
import { renderAuthorization, type AuthCalloutSettings } from "../events/natsAuthorization.js";
import { grantOfUser, inboxPrefixOf, type Grant } from "../events/permissions.js";
import { altNames, makeCa, signCert } from "./opensslPki.js";

/**
 * The users a test server knows unless told otherwise; speakers add `speaker-<node>`. Each gets the permissions of
 * the role its name gives (permissions.ts): bare `allocator` and `controller` may claim as any identity of their role.
 */
export const DEFAULT_NATS_USERS = ["admin", "allocator", "controller", "reader"] as const;

export type NatsSecurityKit = {
  dir: string;
  caFile: string;
  clientCertFile: string;
  /** Password auth and mutual TLS as `user`, reading the kit's files on every connect. */
  client(user: string): NatsClientSecurity;
  /** A speaker of `node` logging in through the auth callout with the token in `tokenFile` (mutual TLS too). */
  tokenClient(tokenFile: string, node: string): NatsClientSecurity;
  /** The same as `vipmesh` flags. */
  cliArgs(user: string): string[];
  /** `vipmesh` flags of a speaker logging in with the token in `tokenFile` (auth callout), mutual TLS too. */
  tokenCliArgs(tokenFile: string): string[];
  /** `tls { … }` and `authorization { … }` for the server's client port; `authorization` replaces the latter (operator mode). */
  serverConfig(authorization?: string): string;
  /** `tls { … }` and `authorization { … }` inside `cluster { }`, and a route URL carrying the route's credentials. */
  routeConfig(): string;
  routeUrl(host: string, port: number): string;
  /** Writes a new password for `user` (the server takes it on its next configuration write and reload). */
  rotatePassword(user: string): void;
  /** New key and certificate for the server (same CA, same paths). */
  reissueServerCert(): void;
  /** New key and certificate for clients (same CA, same paths). */
  reissueClientCert(): void;
};

const SERVER_EXT = (hosts: string[]): string =>
  `subjectAltName=${altNames(["127.0.0.1", "localhost", ...hosts])}\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature\n`;
const CLIENT_EXT = "extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n";

const newPassword = (): string => randomBytes(18).toString("hex");

/**
 * What a kit user may do: the role its name gives; speakers and allocators also publish the configuration file, as
 * the lab's and the tests' do (`--config`; design.md, "Roles": a host publishing the file holds the config role too).
 */
function grantsOf(user: string, callout: boolean): Grant[] {
  const grant = grantOfUser(user);
  if (grant.role === "controller" && callout) return [grant, { role: "callout", id: grant.id }];
  return grant.role === "speaker" || grant.role === "allocator" ? [grant, { role: "config", id: grant.id }] : [grant];
}

/** The reply prefix a client of `user` uses; a user that may take any identity replies as "any". */
function clientInbox(user: string): string {
  const grant = grantOfUser(user);
  return inboxPrefixOf(grant.role, grant.id === "*" ? "any" : grant.id);
}

/** Makes the PKI and passwords in `dir`; `hosts` are the addresses the server is dialled at besides loopback. */
/** `nkeys`: public user nkeys (U...) the server also accepts, for clients that authenticate with a seed. */
/** `grants`: what a user may do instead of what its name gives (e.g. a speaker without the config role). */
/** `callout`: the server sends every other client to the auth callout; the controller user may answer it. */
export function makeNatsSecurityKit(dir: string, opts: { hosts?: string[]; users?: readonly string[]; nkeys?: readonly string[]; grants?: Readonly<Record<string, Grant[]>>; callout?: AuthCalloutSettings } = {}): NatsSecurityKit {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const hosts = opts.hosts ?? [];
  const at = (f: string): string => join(dir, f);
  makeCa(dir, "ca", "vipmesh-test-nats-ca");
  signCert(dir, "server", "/CN=vipmesh-test-nats", SERVER_EXT(hosts));
  signCert(dir, "client", "/CN=vipmesh-test-client", CLIENT_EXT);
  const passwords = new Map<string, string>();
  const passwordFile = (user: string): string => at(`${user}.password`);
  const setPassword = (user: string): void => {
    const password = newPassword();
    passwords.set(user, password);
    writeFileSync(passwordFile(user), `${password}\n`, { mode: 0o600 });
    chmodSync(passwordFile(user), 0o600);
  };
  for (const user of [...(opts.users ?? DEFAULT_NATS_USERS), "route"]) setPassword(user);
  const tlsBlock = (indent: string): string =>
    [`tls {`, `  cert_file: "${at("server.crt")}"`, `  key_file: "${at("server.key")}"`, `  ca_file: "${at("ca.crt")}"`, `  verify: true`, `  timeout: 2`, `}`]
      .map((l) => indent + l).join("\n");
  const knownUser = (user: string): string => {
    if (!passwords.has(user)) throw new Error(`the test NATS server has no user "${user}" (it has ${[...passwords.keys()].join(", ")})`);
    return user;
  };
  const tls = { caFile: { path: at("ca.crt"), source: "--nats-ca" }, certFile: { path: at("client.crt"), source: "--nats-cert" }, keyFile: { path: at("client.key"), source: "--nats-key" }, serverName: null };
  return {
    dir,
    caFile: at("ca.crt"),
    clientCertFile: at("client.crt"),
    client: (user) => ({
      auth: { kind: "password", user: knownUser(user), password: { file: { path: passwordFile(user), source: "--nats-password-file" } } },
      inboxPrefix: clientInbox(user),
      tls,
    }),
    tokenClient: (tokenFile, node) => ({ auth: { kind: "token", file: { path: tokenFile, source: "--nats-token-file" } }, inboxPrefix: inboxPrefixOf("speaker", node.replaceAll(".", "_")), tls }),
    cliArgs: (user) => ["--nats-user", knownUser(user), "--nats-password-file", passwordFile(user), "--nats-ca", at("ca.crt"), "--nats-cert", at("client.crt"), "--nats-key", at("client.key")],
    tokenCliArgs: (tokenFile) => ["--nats-token-file", tokenFile, "--nats-ca", at("ca.crt"), "--nats-cert", at("client.crt"), "--nats-key", at("client.key")],
    serverConfig: (authorization) => {
      if (authorization !== undefined) return [tlsBlock(""), authorization].join("\n");
      const users = [...passwords].filter(([u]) => u !== "route").map(([user, password]) => ({ user, grants: opts.grants?.[user] ?? grantsOf(user, opts.callout !== undefined), secret: { password } }));
      const nkeys = (opts.nkeys ?? []).map((nkey) => ({ user: "reader", secret: { nkey } }));
      return [tlsBlock(""), renderAuthorization([...users, ...nkeys], "", opts.callout)].join("\n");
    },
    routeConfig: () => [tlsBlock("  "), `  authorization { user: "route", password: "${passwords.get("route") ?? ""}" }`].join("\n"),
    routeUrl: (host, port) => `nats-route://route:${passwords.get("route") ?? ""}@${host}:${port}`,
    rotatePassword: (user) => setPassword(knownUser(user)),
    reissueServerCert: () => signCert(dir, "server", "/CN=vipmesh-test-nats", SERVER_EXT(hosts)),
    reissueClientCert: () => signCert(dir, "client", "/CN=vipmesh-test-client", CLIENT_EXT),
  };
}
