import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
// A dependency of the NATS client, used here only to make a user key pair the way `nk -gen user` would.
import { createUser } from "@nats-io/nkeys";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeNats, connectNats, NatsRefusedError } from "../../src/adapters/nats/connect.js";
import type { NatsClientSecurity } from "../../src/adapters/nats/security.js";
import { natsFromOptions, PASSWORD_ENV } from "../../src/cli/natsOptions.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import { STREAMS } from "../../src/events/types.js";
import { subjects } from "../../src/events/subjects.js";
import { makeNatsSecurityKit, type NatsSecurityKit } from "../../src/testing/natsSecurityKit.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { startAllocator, stopAllocator, until } from "../support/allocatorProcs.js";
import { jsonLines, runCli, stopCli, type CliProc } from "../support/cliProcs.js";
import { operatorMode } from "../support/natsCreds.js";
import { LOOPBACK_CONFIG } from "../support/loopbackConfig.js";

// TLS (clients verified) and password authentication on a real nats-server, as every test and lab server runs:
// what is refused and what the refusal says, and rotation of the server's certificate and of a speaker's password
// and client certificate while the speaker runs (the compiled CLI, npm run build first).

let server: NatsServer;
let kit: NatsSecurityKit;
let otherKit: NatsSecurityKit;
let dir: string;
const procs: CliProc[] = [];
const nkeyUser = createUser();

beforeAll(async () => {
  server = await startNatsServer({ users: ["speaker-loopnode"], nkeys: [nkeyUser.getPublicKey()] });
  kit = server.kit as NatsSecurityKit;
  dir = mkdtempSync(join(tmpdir(), "vipmesh-nats-security-"));
  otherKit = makeNatsSecurityKit(join(dir, "other"));
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One connection attempt's refusal message (these never wait out a timeout: a refusal ends the attempt). */
async function refusal(security: NatsClientSecurity): Promise<string> {
  const err = await connectNats({ servers: [server.url], security, name: "refused", pingIntervalMs: 2_000, giveUpAfterMs: 10_000 }).then(
    async (nc) => {
      await closeNats(nc);
      return new Error("connected");
    },
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(NatsRefusedError);
  return err.message;
}

const admin = (): NatsClientSecurity => kit.client("admin");
const withPassword = (user: string, file: string): NatsClientSecurity =>
  ({ ...kit.client(user), auth: { kind: "password", user, password: { file: { path: file, source: "--nats-password-file" } } } });

describe("NATS with TLS and authentication", () => {
  it("accepts the kit's user over mutual TLS", async () => {
    const nc = await connectNats({ servers: [server.url], security: admin(), name: "ok", pingIntervalMs: 2_000, giveUpAfterMs: 10_000 });
    expect(nc.info?.tls_required).toBe(true);
    await closeNats(nc);
  });

  it("accepts an nkey seed file, and a server name the certificate carries", async () => {
    const seed = join(dir, "user.nk");
    writeFileSync(seed, `${new TextDecoder().decode(nkeyUser.getSeed())}\n`, { mode: 0o600 });
    const security: NatsClientSecurity = { auth: { kind: "nkey", seedFile: { path: seed, source: "--nats-nkey" } }, tls: { ...admin().tls!, serverName: "localhost" } };
    const nc = await connectNats({ servers: [server.url], security, name: "nkey", pingIntervalMs: 2_000, giveUpAfterMs: 10_000 });
    await closeNats(nc);
    writeFileSync(seed, `${new TextDecoder().decode(createUser().getSeed())}\n`);
    expect(await refusal(security)).toMatch(/refused the credentials of nkey seed .*user\.nk: .*authorization violation/i);
  });

  it("accepts a .creds file from a server in operator mode, and refuses a user its operator did not sign", async () => {
    const trusted = operatorMode();
    const operatorServer = await startNatsServer({ authorization: trusted.authorization });
    try {
      const creds = join(dir, "agent.creds");
      writeFileSync(creds, trusted.creds("agent"), { mode: 0o600 });
      const security: NatsClientSecurity = { auth: { kind: "creds", file: { path: creds, source: "--nats-creds" } }, tls: operatorServer.client().tls };
      const nc = await connectNats({ servers: [operatorServer.url], security, name: "creds", pingIntervalMs: 2_000, giveUpAfterMs: 10_000 });
      await closeNats(nc);
      writeFileSync(creds, operatorMode().creds("stranger"));
      const err = await connectNats({ servers: [operatorServer.url], security, name: "creds", pingIntervalMs: 2_000, giveUpAfterMs: 10_000 }).catch((e: unknown) => e as Error);
      expect(err).toBeInstanceOf(NatsRefusedError);
      expect((err as Error).message).toMatch(/refused the credentials of credentials .*agent\.creds: .*authorization violation/i);
    } finally {
      await operatorServer.stop();
    }
  });

  it("takes the password from $VIPMESH_NATS_PASSWORD when no file is given", async () => {
    const tls = kit.client("reader").tls!;
    process.env[PASSWORD_ENV] = readFileSync(join(kit.dir, "reader.password"), "utf8").trim();
    try {
      const target = natsFromOptions({ nats: server.url, natsUser: "reader", natsCa: tls.caFile.path, natsCert: tls.certFile?.path, natsKey: tls.keyFile?.path }, { role: "reader", id: null });
      const nc = await connectNats({ servers: target.natsServers, security: target.natsSecurity, name: "env", pingIntervalMs: 2_000, giveUpAfterMs: 10_000 });
      await closeNats(nc);
      process.env[PASSWORD_ENV] = "wrong";
      expect(await refusal(target.natsSecurity)).toMatch(/refused the credentials of user "reader"/);
    } finally {
      delete process.env[PASSWORD_ENV];
    }
  });

  it("refuses an anonymous client, saying the credentials were refused", async () => {
    expect(await refusal({ ...admin(), auth: null })).toMatch(/refused the credentials of anonymous: .*authorization violation/i);
  });

  it("refuses a wrong password, naming the user", async () => {
    const wrong = join(dir, "wrong.password");
    writeFileSync(wrong, "not-the-password\n");
    expect(await refusal(withPassword("admin", wrong))).toMatch(/refused the credentials of user "admin": .*authorization violation/i);
  });

  it("refuses a client certificate from another CA", async () => {
    const tls = { ...admin().tls!, certFile: { path: otherKit.clientCertFile, source: "--nats-cert" }, keyFile: { path: join(otherKit.dir, "client.key"), source: "--nats-key" } };
    expect(await refusal({ ...admin(), tls })).toMatch(/^TLS with NATS at nats:\/\/127\.0\.0\.1:\d+ failed: the server refused the client certificate .*other\/client\.crt: tlsv1 alert unknown ca \(SSL alert number 48\) \[ERR_SSL_TLSV1_ALERT_UNKNOWN_CA\]/);
  });

  it("refuses a server whose certificate another CA signed", async () => {
    const tls = { ...admin().tls!, caFile: { path: otherKit.caFile, source: "--nats-ca" } };
    expect(await refusal({ ...admin(), tls })).toMatch(/TLS with NATS .* failed: .*(self-signed|unable to verify|issuer)/i);
  });

  it("refuses a server whose certificate does not carry --nats-tls-server-name", async () => {
    const tls = { ...admin().tls!, serverName: "nats.wrong.example" };
    expect(await refusal({ ...admin(), tls })).toMatch(/TLS with NATS .* failed: .*nats\.wrong\.example.*ERR_TLS_CERT_ALTNAME_INVALID.*expected server name "nats\.wrong\.example"/);
  });

  it("CLI: a missing file is named with its flag and path before anything connects", async () => {
    const p = runCli(["replay", "--nats", server.url, ...kit.cliArgs("reader").map((a) => (a.endsWith("ca.crt") ? join(dir, "missing-ca.crt") : a)), "--timeout", "5"]);
    const exit = await stopCliWhenDone(p);
    expect(exit).toBe(2);
    expect(p.err.join("\n")).toContain(`--nats-ca: cannot read ${join(dir, "missing-ca.crt")}: no such file (NATS_SECURITY_FILE)`);
  });

  it("CLI: a wrong password ends a one-shot command at once with the refusal, not a timeout", async () => {
    const wrong = join(dir, "reader-wrong.password");
    writeFileSync(wrong, "nope\n");
    const args = kit.cliArgs("reader").map((a) => (a.endsWith("reader.password") ? wrong : a));
    const p = runCli(["replay", "--nats", server.url, ...args, "--timeout", "30"]);
    const exit = await stopCliWhenDone(p);
    expect(exit).toBe(2);
    expect(p.err.join("\n")).toMatch(/refused the credentials of user "reader": .*Authorization Violation.*\(NATS_REFUSED\)/i);
    expect(p.err.join("\n")).not.toMatch(/gave up after/);
  });

  it("CLI: --nats-user without a password file or $VIPMESH_NATS_PASSWORD is refused at start, saying where a password comes from", async () => {
    const p = runCli(["replay", "--nats", server.url, "--nats-user", "reader", "--nats-ca", kit.caFile, "--timeout", "5"]);
    expect(await stopCliWhenDone(p)).toBe(2);
    expect(p.err.join("\n")).toContain("--nats-user reader: no password (give --nats-password-file or set $VIPMESH_NATS_PASSWORD)");
  });
});

describe("rotation without restart", () => {
  it("an agent refused at start says what was refused, keeps trying, and connects once the password file is right", async () => {
    const passwordFile = join(dir, "allocator.password");
    writeFileSync(passwordFile, "wrong\n");
    const args = kit.cliArgs("allocator").map((a) => (a.endsWith("allocator.password") ? passwordFile : a));
    const p = runCli(["allocator", "--nats", server.url, ...args, "--id", "refused-first"]);
    procs.push(p);
    const lines = (msg: string): Record<string, unknown>[] => jsonLines(p.out).filter((l) => String(l["msg"]).startsWith(msg));
    await until("the refusal is reported", () => lines("NATS refused this agent's credentials or certificate").length > 0, 20_000);
    expect(String(lines("NATS refused this agent's credentials or certificate")[0]?.["err"])).toMatch(/refused the credentials of user "allocator"/);
    expect(lines("cannot reach NATS")).toHaveLength(0);
    copyFileSync(join(kit.dir, "allocator.password"), passwordFile);
    await until("the allocator connects with the corrected file", () => lines("connected to NATS").length > 0, 20_000);
    await stopCli(p);
  });


  it("a speaker keeps its VIP and its heartbeats when the server's certificate, its password and its client certificate change on disk", async () => {
    const config = join(dir, "config.yaml");
    writeFileSync(config, CONFIG);
    const oldPassword = join(dir, "old-speaker.password");
    copyFileSync(join(kit.dir, "speaker-loopnode.password"), oldPassword);
    const probeKeys = join(dir, "probe.keys");
    writeFileSync(probeKeys, `1 ${Buffer.alloc(32, 7).toString("base64")}\n`);
    const p = runCli(["speaker", "--node", "loopnode", "--nats", server.url, ...kit.cliArgs("speaker-loopnode"), "--config", config, "--probe-port", "0", "--probe-key-file", probeKeys]);
    procs.push(p);
    const allocator = startAllocator(server, "a1");
    const lines = (msg: string): Record<string, unknown>[] => jsonLines(p.out).filter((l) => l["msg"] === msg);
    await until("the speaker claims its VIP", async () => (await ownerChanges()).length > 0, 30_000);
    const beatBefore = await lastHeartbeatSeq();

    kit.reissueServerCert();
    kit.reissueClientCert();
    kit.rotatePassword("speaker-loopnode");
    await server.reload();
    // The reload may drop the connection made with the old password (the client then reconnects with the file's new
    // one); either way the speaker logs in again on a new connection because the files changed, before leaving the old.
    await until("the speaker moves to a connection made with the new files", () => lines("moved to a new NATS connection made with the changed files").length > 0, 30_000);
    await until("heartbeats continue after the rotation", async () => (await lastHeartbeatSeq()) > beatBefore + 20, 20_000);

    // The old password is refused now, so the heartbeats above came over a connection made with the new one.
    expect(await refusal(withPassword("speaker-loopnode", oldPassword))).toMatch(/refused the credentials of user "speaker-loopnode"/);
    const changes = await ownerChanges();
    expect(changes).toHaveLength(1);
    expect(JSON.stringify(changes[0])).toContain("loopnode");
    expect(lines("speaker started")).toHaveLength(1);
    await Promise.all([stopCli(p), stopAllocator(allocator)]);
  });
});

async function stopCliWhenDone(p: CliProc): Promise<number | null> {
  const hung = setTimeout(() => p.child.kill("SIGKILL"), 20_000);
  const exit = await p.exited;
  clearTimeout(hung);
  return exit.code;
}

async function ownerChanges(): Promise<unknown[]> {
  const rows = await replayCommand({ nats: [server.url], security: kit.client("reader"), vip: null, json: true, timeoutMs: 10_000 }, () => undefined).catch(() => []);
  return rows.filter((r) => r.kind === "owner-changed");
}

async function lastHeartbeatSeq(): Promise<number> {
  const nc = await connectNats({ servers: [server.url], security: kit.client("reader"), name: "heartbeats", pingIntervalMs: 2_000, giveUpAfterMs: 10_000 });
  try {
    const jsm = await jetstreamManager(nc);
    const msg = await jsm.streams.getMessage(STREAMS.heartbeats, { last_by_subj: subjects.heartbeat("loopnode") });
    return msg?.seq ?? 0;
  } finally {
    await closeNats(nc);
  }
}

const CONFIG = LOOPBACK_CONFIG;
