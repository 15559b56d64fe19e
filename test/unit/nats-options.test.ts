import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { natsRefusal } from "../../src/adapters/nats/refusal.js";
import { NO_SECURITY, securityFiles } from "../../src/adapters/nats/security.js";
import { natsFromOptions } from "../../src/cli/natsOptions.js";

// The --nats-* flags: which combinations are refused and with what message, and how a failed connect is told apart
// (credentials refused, TLS failed, or simply unreachable).

const READER = { role: "reader", id: null } as const;
const dir = mkdtempSync(join(tmpdir(), "vipmesh-nats-options-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text = "x\n"): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("natsFromOptions", () => {
  const ca = file("ca.crt");
  const cert = file("client.crt");
  const key = file("client.key");
  const password = file("password", "s3cret\n");

  it.each([
    ["two ways to authenticate", { natsUser: "a", natsPasswordFile: password, natsNkey: file("seed") }, "--nats-nkey and --nats-user: give one way to authenticate to NATS, not 2"],
    ["a token and a user", { natsUser: "a", natsPasswordFile: password, natsTokenFile: file("token") }, "--nats-token-file and --nats-user: give one way to authenticate to NATS, not 2"],
    ["a password file without a user", { natsPasswordFile: password }, "--nats-password-file needs --nats-user"],
    ["a client certificate without a CA", { natsCert: cert, natsKey: key }, "--nats-cert, --nats-key needs --nats-ca"],
    ["a server name without a CA", { natsTlsServerName: "nats" }, "--nats-tls-server-name needs --nats-ca"],
    ["a certificate without its key", { natsCa: ca, natsCert: cert }, "--nats-cert and --nats-key go together"],
    ["a missing file", { natsCa: join(dir, "nope.crt") }, `--nats-ca: cannot read ${join(dir, "nope.crt")}: no such file`],
    ["an empty file", { natsUser: "a", natsPasswordFile: file("empty", "") }, `--nats-password-file: ${join(dir, "empty")} is empty`],
  ])("refuses %s", (_name, o, message) => {
    expect(() => natsFromOptions({ nats: "nats://h:4222", ...o }, READER)).toThrow(message);
  });

  it("builds user + password over mutual TLS with a server name, every file named by its flag", () => {
    const t = natsFromOptions({ nats: "nats://a:4222, nats://b:4222", natsUser: "allocator", natsPasswordFile: password, natsCa: ca, natsCert: cert, natsKey: key, natsTlsServerName: "nats.example" }, { role: "allocator", id: "a1.example" });
    expect(t.natsServers).toEqual(["nats://a:4222", "nats://b:4222"]);
    expect(t.natsSecurity.auth).toEqual({ kind: "password", user: "allocator", password: { file: { path: password, source: "--nats-password-file" } } });
    expect(t.natsSecurity.tls?.serverName).toBe("nats.example");
    expect(t.natsSecurity.inboxPrefix).toBe("_INBOX_allocator.a1_example");
    expect(securityFiles(t.natsSecurity).map((f) => f.source)).toEqual(["--nats-password-file", "--nats-ca", "--nats-cert", "--nats-key"]);
  });

  it("a token file (the auth callout's login) is read again on every connect and watched for rotation", () => {
    const token = file("sa.token", "eyJ.a.b\n");
    const t = natsFromOptions({ nats: "nats://h:4222", natsTokenFile: token, natsCa: ca }, { role: "speaker", id: "node-a" });
    expect(t.natsSecurity.auth).toEqual({ kind: "token", file: { path: token, source: "--nats-token-file" } });
    expect(securityFiles(t.natsSecurity).map((f) => f.source)).toEqual(["--nats-token-file", "--nats-ca"]);
    expect(t.natsSecurity.inboxPrefix).toBe("_INBOX_speaker.node-a");
  });

  it("without any flag: anonymous, in plain text (a server that requires more refuses it, and says so)", () => {
    expect(natsFromOptions({ nats: "nats://h:4222" }, READER).natsSecurity).toEqual({ ...NO_SECURITY, inboxPrefix: "_INBOX_reader" });
  });
});

describe("natsRefusal", () => {
  const servers = ["nats://h:4222"];
  const tlsErr = (message: string, code: string): Error => Object.assign(new Error(message), { code });

  it("an authorization violation names the user, not the network", () => {
    const err = Object.assign(new Error("Authorization Violation"), { name: "AuthorizationError" });
    const sec = { auth: { kind: "password" as const, user: "reader", password: { env: "P" } }, tls: null };
    expect(natsRefusal(err, servers, sec)).toBe('NATS at nats://h:4222 refused the credentials of user "reader": Authorization Violation');
  });

  it("a certificate error says TLS failed, with node's code", () => {
    expect(natsRefusal(tlsErr("self-signed certificate in certificate chain", "SELF_SIGNED_CERT_IN_CHAIN"), servers, NO_SECURITY))
      .toBe("TLS with NATS at nats://h:4222 failed: self-signed certificate in certificate chain [SELF_SIGNED_CERT_IN_CHAIN] (anonymous)");
  });

  it("a refused connection is not a refusal of credentials: null (the caller reports it as unreachable)", () => {
    expect(natsRefusal(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:4222"), { code: "ECONNREFUSED" }), servers, NO_SECURITY)).toBeNull();
  });
});
