import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { pino } from "pino";
import { closeNats, connectNats } from "../../src/adapters/nats/connect.js";
import { connectSwappableUnlessStopped } from "../../src/adapters/nats/connectSwappable.js";
import { initLog } from "../../src/adapters/nats/logInit.js";
import type { NatsClientSecurity } from "../../src/adapters/nats/security.js";
import { DEFAULT_STREAM_SETTINGS } from "../../src/adapters/nats/streams.js";
import { encodeEvent } from "../../src/events/codec.js";
import { inboxPrefixOf } from "../../src/events/permissions.js";
import { subjects } from "../../src/events/subjects.js";
import { chartCommands, labCommand } from "../../src/lab/chartCommands.js";
import { vipmeshCliPath } from "../../src/lab/paths.js";
import { chartObjects, startChartNatsServer, type ChartNatsServer } from "../../src/testing/chartNatsServer.js";
import { renderChart } from "../../src/testing/helmChart.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { boundTokenIds, signBoundToken } from "../../src/testing/serviceAccountToken.js";
import { stopAllocator, trackProc, until, type AllocatorProc } from "../support/allocatorProcs.js";
import { serviceAccountKubeconfig } from "../support/controllerProcs.js";

// NATS auth callout for speakers, against the real things, as the chart installs it: a real kube-apiserver with the
// chart's RBAC (deploy/manifests/rbac.yaml) issues pod-bound ServiceAccount tokens (Nodes and Pods with
// spec.nodeName, no kubelet); `vipmesh nats-callout-keys` (the chart's Job) makes the keys Secret as its own
// ServiceAccount; a real nats-server runs the configuration `helm template` renders (auth_callout with an xkey, the
// chart's PKI and passwords); and `vipmesh controller` runs with the chart's arguments as the controller's
// ServiceAccount and answers the callout. A token logs in as the node its Pod is on, with that node's speaker
// permissions only.

const repo = fileURLToPath(new URL("../../", import.meta.url));
const NS = "metallb-system";
let api: KubeApiServer;
let nats: ChartNatsServer;
let controller: AllocatorProc;
let dir: string;
let metricsPort = 0;
let rendered = "";
const seeds = { issuer: "", xkey: "" };
const open: NatsConnection[] = [];

const OBJECTS = `
apiVersion: v1
kind: ServiceAccount
metadata: { name: intruder, namespace: ${NS} }
`;

/** A speaker Pod's NATS client: the chart's speaker certificate, and its token (or none). */
function speakerSecurity(tokenPath: string | null, nodeName: string): NatsClientSecurity {
  const tls = nats.client("speaker", { role: "speaker", id: nodeName }).tls;
  return { auth: tokenPath === null ? null : { kind: "token", file: { path: tokenPath, source: "--nats-token-file" } }, tls, inboxPrefix: inboxPrefixOf("speaker", nodeName) };
}

const node = (name: string): string => JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name } });
const pod = (name: string, nodeName: string, sa: string): string =>
  JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS }, spec: { nodeName, serviceAccountName: sa, automountServiceAccountToken: false, containers: [{ name: "c", image: "vipmesh:test" }] } });

async function ok(args: string[], input?: string): Promise<string> {
  const r = await api.kubectl(args, input === undefined ? {} : { input });
  expect(r.code, `kubectl ${args.join(" ")}:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

/** A token file as the kubelet would project it for `podName` (or unbound, or for another audience). */
async function tokenFile(name: string, args: string[]): Promise<string> {
  const token = (await ok(["create", "token", "-n", NS, ...args])).trim();
  const file = join(dir, `${name}.token`);
  writeFileSync(file, token, { mode: 0o600 });
  return file;
}
const speakerToken = (podName: string): Promise<string> => tokenFile(podName, ["vipmesh-speaker", "--audience", "vipmesh-nats", "--bound-object-kind", "Pod", "--bound-object-name", podName]);

/** A token as TokenRequest makes them for speaker-a, signed with the API server's key, expiring at `exp`. */
async function signedToken(name: string, exp: number): Promise<string> {
  const ids = await boundTokenIds(api, NS, "speaker-a", "node-a", "vipmesh-speaker");
  const file = join(dir, `${name}.token`);
  writeFileSync(file, signBoundToken(api, { namespace: NS, audience: "vipmesh-nats", exp, ...ids }), { mode: 0o600 });
  return file;
}

async function connectWithToken(file: string, nodeName: string): Promise<NatsConnection> {
  const nc = await connectNats({ servers: [nats.url], security: speakerSecurity(file, nodeName), name: `test-speaker-${nodeName}`, pingIntervalMs: 2_000, giveUpAfterMs: 5_000 });
  open.push(nc);
  return nc;
}

async function refusal(file: string | null, nodeName: string): Promise<string> {
  const security = speakerSecurity(file, nodeName);
  try {
    const nc = await connectNats({ servers: [nats.url], security, name: "test-refused", pingIntervalMs: 2_000, giveUpAfterMs: 5_000 });
    await closeNats(nc);
    return "connected";
  } catch (err) {
    return (err as Error).message;
  }
}

const beat = (n: string): Uint8Array => encodeEvent({ type: "NodeHeartbeatRecorded", data: { node: n, incarnation: 1, beat: 1, ready: true, version: "test", health: null, interfaces: [] } });
const claim = (n: string): Uint8Array =>
  encodeEvent({ type: "VipClaimed", data: { vip: "198.18.0.200", node: n, incarnation: 1, term: 1, reason: "unowned", evidence: { previousOwner: null, previousOwnerStatus: null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: 0, eligibleNodes: 1 } } });

async function published(nc: NatsConnection, subject: string, bytes: Uint8Array): Promise<string> {
  try {
    const ack = await jetstream(nc).publish(subject, bytes, { timeout: 3_000 });
    return `stored at ${ack.seq}`;
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  }
}

async function refusals(): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^vipmesh_nats_callout_logins_total\{result="(\w+)",reason="([\w-]*)"\} (\d+)/gm)) out[m[2] || m[1]!] = Number(m[3]);
  return out;
}

const refusedLines = (reason: string): number => controller.lines.filter((l) => l["msg"] === `NATS login refused: ${reason}`).length;

/** `vipmesh controller` with the chart's arguments, NATS credentials of the chart's Secret, the keys Job's seeds. */
async function startCallout(): Promise<void> {
  const kubeconfig = serviceAccountKubeconfig(api.kubeconfig, dir, "vipmesh-controller");
  metricsPort = 20_000 + Math.floor(Math.random() * 20_000);
  const secret = nats.secretDir("controller");
  const natsArgs = (user: string): string[] => [
    "--nats-user", user, "--nats-password-file", join(secret, "password"), "--nats-ca", join(secret, "ca.crt"), "--nats-cert", join(secret, "tls.crt"), "--nats-key", join(secret, "tls.key"),
    "--nats-tls-server-name", "vipmesh-nats.metallb-system.svc",
  ];
  const cmd = labCommand(chartCommands(rendered).controller, {
    natsUrl: nats.url, natsArgs, replicas: 1, metricsPort,
    calloutArgs: ["--nats-callout-issuer-seed-file", seeds.issuer, "--nats-callout-xkey-seed-file", seeds.xkey],
    extraArgs: ["--kubeconfig", kubeconfig, "--id", "c1", "--metrics-address", "127.0.0.1"],
  });
  controller = trackProc("c1", spawn(process.execPath, [vipmeshCliPath(), ...cmd.args], { env: { ...process.env, ...cmd.env }, stdio: ["ignore", "pipe", "pipe"] }));
  await until("the controller serves the auth callout", () => controller.lines.some((l) => l["msg"] === "serving NATS auth callout for speakers"), 30_000);
}

/** The chart's keys Job: `vipmesh nats-callout-keys` as its own ServiceAccount; the Secret's files as Pods mount them. */
async function runKeysJob(): Promise<{ stdout: string; code: number | null }> {
  const kubeconfig = serviceAccountKubeconfig(api.kubeconfig, dir, "vipmesh-callout-keys");
  const job = chartObjects(rendered).find((o) => o.kind === "Job" && o.metadata.name.startsWith("vipmesh-callout-keys-"));
  const args = (job?.spec as { template: { spec: { containers: { args: string[] }[] } } } | undefined)?.template.spec.containers[0]?.args ?? [];
  const r = spawnSync(process.execPath, [vipmeshCliPath(), ...args, "--kubeconfig", kubeconfig], { encoding: "utf8" });
  return { stdout: `${r.stdout}${r.stderr}`, code: r.status };
}

async function secretFile(key: string): Promise<string> {
  return Buffer.from((await ok(["get", "secret", "-n", NS, "vipmesh-nats-callout", "-o", `jsonpath={.data.${key.replace(".", "\\.")}}`])).trim(), "base64").toString("utf8");
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vipmesh-callout-"));
  api = await startKubeApiServer();
  await ok(["create", "namespace", NS]);
  await ok(["apply", "-f", join(repo, "deploy/manifests/rbac.yaml")]);
  await ok(["apply", "-f", "-"], OBJECTS);
  for (const n of ["node-a", "node-b"]) await ok(["apply", "-f", "-"], node(n));
  await ok(["apply", "-f", "-"], pod("speaker-a", "node-a", "vipmesh-speaker"));
  await ok(["apply", "-f", "-"], pod("speaker-b", "node-b", "vipmesh-speaker"));
  await ok(["apply", "-f", "-"], pod("intruder-a", "node-a", "intruder"));
  rendered = await renderChart();
  const made = await runKeysJob();
  expect(made.code, made.stdout).toBe(0);
  expect(made.stdout).toMatch(/^made Secret metallb-system\/vipmesh-nats-callout: auth callout issuer A\w+, xkey X\w+/);
  seeds.issuer = join(dir, "issuer.seed");
  seeds.xkey = join(dir, "xkey.seed");
  writeFileSync(seeds.issuer, await secretFile("issuer.seed"), { mode: 0o600 });
  writeFileSync(seeds.xkey, await secretFile("xkey.seed"), { mode: 0o600 });
  nats = await startChartNatsServer(chartObjects(rendered), join(dir, "nats"), { "auth/callout.conf": await secretFile("callout.conf") });
  const admin = await connectNats({ servers: [nats.url], security: nats.client("admin", { user: "admin", role: "admin", id: null }), name: "test-log-init", pingIntervalMs: 2_000, giveUpAfterMs: 10_000 });
  await initLog(admin, DEFAULT_STREAM_SETTINGS);
  await closeNats(admin);
  await startCallout();
}, 120_000);

afterAll(async () => {
  for (const nc of open) await closeNats(nc).catch(() => undefined);
  if (controller) await stopAllocator(controller, "SIGTERM");
  nats?.stop();
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("speakers log in to NATS with their ServiceAccount token (auth callout)", () => {
  it("node A's token publishes A's heartbeat and claim, and is refused B's", async () => {
    const nc = await connectWithToken(await speakerToken("speaker-a"), "node-a");
    expect(await published(nc, subjects.heartbeat("node-a"), beat("node-a"))).toMatch(/^stored/);
    expect(await published(nc, subjects.vipClaim("198.18.0.200", "node-a"), claim("node-a"))).toMatch(/^stored/);
    expect(await published(nc, subjects.heartbeat("node-b"), beat("node-b"))).toBe('refused: Permissions Violation for Publish to "vipmesh.hb.node-b"');
    expect(await published(nc, subjects.vipClaim("198.18.0.200", "node-b"), claim("node-b"))).toBe('refused: Permissions Violation for Publish to "vipmesh.ev.vip.198_18_0_200.node-b"');
    expect(controller.lines.some((l) => l["msg"] === "speaker logged in to NATS" && l["node"] === "node-a" && l["pod"] === "speaker-a")).toBe(true);
  });

  it("a speaker may not read the callout's requests (other speakers' tokens)", async () => {
    const nc = await connectWithToken(await speakerToken("speaker-a"), "node-a");
    const sub = nc.subscribe("$SYS.REQ.USER.AUTH");
    const closed = await Promise.race([sub.closed, new Promise((r) => setTimeout(() => r("still open"), 3_000))]);
    expect(String(closed)).toMatch(/Permissions Violation for Subscription to "\$SYS\.REQ\.USER\.AUTH"/);
  });

  it("the keys Job keeps the Secret it made (runs again on every upgrade)", async () => {
    const again = await runKeysJob();
    expect(again.code, again.stdout).toBe(0);
    expect(again.stdout).toMatch(/^kept Secret metallb-system\/vipmesh-nats-callout/);
  });

  it.each<[string, () => Promise<string | null>, string, string]>([
    ["no token", async () => null, "node-a", "no-token"],
    ["a token of another ServiceAccount bound to a Pod on node A", () => tokenFile("intruder", ["intruder", "--audience", "vipmesh-nats", "--bound-object-kind", "Pod", "--bound-object-name", "intruder-a"]), "node-a", "wrong-service-account"],
    ["a speaker token for another audience", () => tokenFile("other-aud", ["vipmesh-speaker", "--audience", "https://kubernetes.default.svc", "--bound-object-kind", "Pod", "--bound-object-name", "speaker-a"]), "node-a", "wrong-audience"],
    ["a speaker token bound to no Pod (so to no node)", () => tokenFile("unbound", ["vipmesh-speaker", "--audience", "vipmesh-nats"]), "node-a", "no-node"],
    ["not a token at all", async () => { const f = join(dir, "garbage.token"); writeFileSync(f, "let-me-in"); return f; }, "node-a", "malformed-token"],
  ])("refuses %s (Authorization Violation; reason in the log and the metric)", async (_name, make, nodeName, reason) => {
    const before = refusedLines(reason);
    const message = await refusal(await make(), nodeName);
    expect(message).toMatch(/Authorization Violation/i);
    await until(`a refusal logged as ${reason}`, () => refusedLines(reason) > before, 5_000);
    expect((await refusals())[reason] ?? 0).toBeGreaterThan(0);
  });

  it("refuses an expired token, and takes the same token unexpired (so the refusal is the expiry's)", async () => {
    const now = Math.floor(Date.now() / 1000);
    const fresh = await connectWithToken(await signedToken("fresh", now + 600), "node-a");
    expect(await published(fresh, subjects.heartbeat("node-a"), beat("node-a"))).toMatch(/^stored/);
    const before = refusedLines("expired");
    expect(await refusal(await signedToken("expired", now - 5), "node-a")).toMatch(/Authorization Violation/i);
    await until("the expiry logged", () => refusedLines("expired") > before, 5_000);
  });

  it("a speaker's user expires with its token: the server closes the connection, and the renewed token gets it back in", async () => {
    const now = Math.floor(Date.now() / 1000);
    const file = await signedToken("short", now + 4);
    const nc = await connectWithToken(file, "node-a");
    const events: string[] = [];
    void (async () => {
      for await (const st of nc.status()) events.push(`${st.type}${"error" in st && st.error ? `: ${String(st.error)}` : ""}`);
    })();
    expect(await published(nc, subjects.heartbeat("node-a"), beat("node-a"))).toMatch(/^stored/);
    const expiredBefore = refusedLines("expired");
    await until("the server closes the expired user's connection", () => events.some((e) => e.startsWith("disconnect")), 10_000);
    expect(events.join(" | ")).toMatch(/[Ee]xpired/);
    // Until the kubelet's renewal lands, the same token is refused on every reconnect.
    await until("the reconnect with the expired token refused", () => refusedLines("expired") > expiredBefore, 10_000);
    writeFileSync(file, readFileSync(await signedToken("renewed", now + 600)));
    await until("reconnected with the renewed token", () => events.includes("reconnect"), 15_000);
    expect(await published(nc, subjects.heartbeat("node-a"), beat("node-a"))).toMatch(/^stored/);
  });

  it("an agent's connection renews before its user expires: a second login through the callout while the first serves, no break, heartbeats stored past the old expiry", async () => {
    const now = Math.floor(Date.now() / 1000);
    const file = await signedToken("renewed-early", now + 8);
    const lines: Record<string, unknown>[] = [];
    const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const stop = new AbortController();
    const link = await connectSwappableUnlessStopped({ servers: [nats.url], security: speakerSecurity(file, "node-a"), name: "test-speaker-renewing", pingIntervalMs: 2_000, log, signal: stop.signal });
    if (!link) throw new Error("not connected");
    const statuses: string[] = [];
    void (async () => {
      for await (const st of link.nc.status()) statuses.push(st.type);
    })();
    const results: string[] = [];
    let beating = true;
    const beats = (async () => {
      while (beating) {
        results.push(await published(link.nc, subjects.heartbeat("node-a"), beat("node-a")));
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      // The kubelet's renewal, well before the first token (and so the first user) expires.
      writeFileSync(file, readFileSync(await signedToken("renewed-later", now + 600)));
      await until("the move to a connection logged in with the renewed token", () => lines.some((l) => l["msg"] === "moved to a new NATS connection made with the changed files"), 15_000);
      // Past the first user's expiry: the server has closed that connection by now, if it was still open.
      await new Promise((r) => setTimeout(r, Math.max(0, (now + 10) * 1000 - Date.now())));
      expect(await published(link.nc, subjects.heartbeat("node-a"), beat("node-a"))).toMatch(/^stored/);
    } finally {
      beating = false;
      await beats;
      stop.abort();
      await closeNats(link.nc);
    }
    expect(results.length).toBeGreaterThan(100);
    expect(results.filter((r) => !r.startsWith("stored"))).toEqual([]);
    expect(statuses.filter((st) => st === "disconnect" || st === "reconnect")).toEqual(["reconnect"]);
  });

  it("a token whose Pod was deleted is refused by the API server's review", async () => {
    await ok(["apply", "-f", "-"], pod("speaker-gone", "node-b", "vipmesh-speaker"));
    const file = await speakerToken("speaker-gone");
    await ok(["delete", "pod", "-n", NS, "speaker-gone", "--grace-period=0", "--force"]);
    const before = refusedLines("not-authenticated");
    expect(await refusal(file, "node-b")).toMatch(/Authorization Violation/i);
    await until("the review's refusal logged", () => refusedLines("not-authenticated") > before, 5_000);
  });

  it("a Node that joins after install gets in with no upgrade, as itself only", async () => {
    await ok(["apply", "-f", "-"], node("node-c"));
    await ok(["apply", "-f", "-"], pod("speaker-c", "node-c", "vipmesh-speaker"));
    const nc = await connectWithToken(await speakerToken("speaker-c"), "node-c");
    expect(await published(nc, subjects.heartbeat("node-c"), beat("node-c"))).toMatch(/^stored/);
    expect(await published(nc, subjects.heartbeat("node-a"), beat("node-a"))).toBe('refused: Permissions Violation for Publish to "vipmesh.hb.node-a"');
  });

  it("with the API server down, the controller answers each login as review-failed (it does not leave the server waiting), and logins work again when it is back", async () => {
    const file = await speakerToken("speaker-a");
    const before = refusedLines("review-failed");
    await api.stopApiServer();
    try {
      expect(await refusal(file, "node-a")).toMatch(/Authorization Violation/i);
      await until("the failed review logged", () => refusedLines("review-failed") > before, 5_000);
    } finally {
      await api.startApiServer();
    }
    await connectWithToken(file, "node-a");
  });

  it("with the controller down, new logins fail clearly and established speakers keep publishing", async () => {
    const established = await connectWithToken(await speakerToken("speaker-b"), "node-b");
    const file = await speakerToken("speaker-a");
    await stopAllocator(controller, "SIGTERM");
    expect(await refusal(file, "node-a")).toMatch(/Authorization Violation/i);
    expect(await published(established, subjects.heartbeat("node-b"), beat("node-b"))).toMatch(/^stored/);
    await startCallout();
    await connectWithToken(file, "node-a");
  });
});
