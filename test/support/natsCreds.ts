import { createHash } from "node:crypto";
// A dependency of the NATS client, used here only to make key pairs the way `nsc` would.
import { createAccount, createOperator, createUser, type KeyPair } from "@nats-io/nkeys";

// An operator, one account and one user as signed JWTs (NATS JWT v2, ed25519-nkey), for a nats-server in operator
// mode with a memory resolver, and the user's .creds file: enough to test --nats-creds against the real server.

const b64u = (b: Uint8Array | string): string => Buffer.from(b).toString("base64url");

function signedJwt(issuer: KeyPair, subject: KeyPair, name: string, nats: Record<string, unknown>): string {
  const claims: Record<string, unknown> = { iat: Math.floor(Date.now() / 1000), iss: issuer.getPublicKey(), name, sub: subject.getPublicKey(), nats: { ...nats, version: 2 } };
  claims["jti"] = createHash("sha256").update(JSON.stringify(claims)).digest("base64url");
  const signing = `${b64u(JSON.stringify({ typ: "JWT", alg: "ed25519-nkey" }))}.${b64u(JSON.stringify(claims))}`;
  return `${signing}.${b64u(issuer.sign(new TextEncoder().encode(signing)))}`;
}

const UNLIMITED = { subs: -1, data: -1, payload: -1 };

/** `authorization`: the server configuration that trusts the operator; `creds(name)`: a user's .creds file text. */
export function operatorMode(): { authorization: string; creds: (name: string) => string } {
  const operator = createOperator();
  const account = createAccount();
  const system = createAccount(); // JetStream needs the server's system account
  const limits = { ...UNLIMITED, imports: -1, exports: -1, wildcards: true, conn: -1, leaf: -1 };
  const accountJwt = signedJwt(operator, account, "vipmesh", { type: "account", limits: { ...limits, mem_storage: -1, disk_storage: -1, streams: -1, consumer: -1 } });
  const systemJwt = signedJwt(operator, system, "SYS", { type: "account", limits });
  return {
    authorization: [
      `operator: ${signedJwt(operator, operator, "vipmesh-test", { type: "operator" })}`,
      `system_account: ${system.getPublicKey()}`,
      "resolver: MEMORY",
      `resolver_preload: {\n  ${account.getPublicKey()}: ${accountJwt}\n  ${system.getPublicKey()}: ${systemJwt}\n}`,
    ].join("\n"),
    creds: (name) => {
      const user = createUser();
      const jwt = signedJwt(account, user, name, { type: "user", pub: {}, sub: {}, ...UNLIMITED });
      const seed = new TextDecoder().decode(user.getSeed());
      return `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
    },
  };
}
