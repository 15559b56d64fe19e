import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execFileSync } from "node:child_process";
import { connect } from "@nats-io/transport-node";
import { jetstreamManager } from "@nats-io/jetstream";
import { parse, parseAllDocuments } from "yaml";
import { afterAll, describe, expect, it } from "vitest";
import { chartCommands, chartNodeOptions, labCommand, renderedManifestCommands } from "../../src/lab/chartCommands.js";
import { natsServerPath } from "../../src/lab/paths.js";
import { CHART_DIR, renderChart, runHelm } from "../../src/testing/helmChart.js";
import { chartNatsConfOnLoopback } from "../../src/testing/chartNatsServer.js";
import { documentedValues, withTable } from "../../scripts/chart-values-table.mjs";

// The chart deploy/helm/vipmesh through the pinned helm: lint, its values table, the manifests rendered from it, what
// its objects say (security, probes, NATS cluster, external NATS, permissions), the NATS PKI and passwords it makes
// (a real nats-server runs with them and lets a speaker in), and the command lines the lab takes from it.

const repo = fileURLToPath(new URL("../../", import.meta.url));
type Obj = { kind: string; metadata: { name: string }; spec?: any; data?: Record<string, string>; stringData?: Record<string, string> };
const objects = (yaml: string): Obj[] => parseAllDocuments(yaml).map((d) => d.toJS() as Obj).filter((o) => o !== null);
const find = (objs: Obj[], kind: string, name: string): Obj => {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind}/${name}`);
  return o;
};
const b64 = (s: string | undefined): string => Buffer.from(s ?? "", "base64").toString("utf8");
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups.reverse()) c();
});

describe("the chart", () => {
  it("passes helm lint with no error or warning", async () => {
    const r = await runHelm(["lint", CHART_DIR]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).not.toMatch(/\[(ERROR|WARNING)\]/);
  });

  it("documents every value in its README's table, generated from values.yaml", () => {
    const values = readFileSync(join(CHART_DIR, "values.yaml"), "utf8");
    const readme = readFileSync(join(CHART_DIR, "README.md"), "utf8");
    expect(readme, "run node scripts/chart-values-table.mjs").toBe(withTable(readme, values));
    const documented = documentedValues(values).map((r) => r.key);
    const leaves = (v: unknown, path: string[]): string[] =>
      v !== null && typeof v === "object" && !Array.isArray(v) && Object.keys(v).length > 0 ? Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k])) : [path.join(".")];
    const undocumented = leaves(parse(values), []).filter((key) => !documented.some((d) => key === d || key.startsWith(`${d}.`)));
    expect(undocumented).toEqual([]);
  });

  it("is what deploy/manifests hold (scripts/render-manifests.sh), with deploy/crds as its CRDs", () => {
    const out = mkdtempSync(join(tmpdir(), "vipmesh-manifests-"));
    cleanups.push(() => rmSync(out, { recursive: true, force: true }));
    execFileSync("bash", [join(repo, "scripts/render-manifests.sh"), out]);
    const files = readdirSync(out).sort();
    expect(readdirSync(join(repo, "deploy/manifests")).sort()).toEqual(files);
    for (const f of files) expect(readFileSync(join(repo, "deploy/manifests", f), "utf8"), `deploy/manifests/${f} is stale: run scripts/render-manifests.sh`).toBe(readFileSync(join(out, f), "utf8"));
    const crds = readdirSync(join(repo, "deploy/crds")).sort();
    expect(readdirSync(join(CHART_DIR, "crds")).sort()).toEqual(crds);
    for (const f of crds) expect(readFileSync(join(CHART_DIR, "crds", f), "utf8"), `the chart's crds/${f} is stale`).toBe(readFileSync(join(repo, "deploy/crds", f), "utf8"));
  });

  it("runs speakers on the host network with NET_RAW and NET_ADMIN only, read-only, probed on /healthz and /readyz", async () => {
    const objs = objects(await renderChart());
    const pod = find(objs, "DaemonSet", "vipmesh-speaker").spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    const c = pod.containers[0];
    // uid 0: Kubernetes sets no ambient capabilities, so any other uid would start with none of the two.
    expect(c.securityContext).toEqual({ runAsUser: 0, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"], add: ["NET_RAW", "NET_ADMIN"] } });
    expect(c.ports).toContainEqual({ name: "metrics", containerPort: 7472, protocol: "TCP" });
    expect(c.env).toContainEqual({ name: "VIPMESH_METRICS_PORT", value: "7472" });
    expect(c.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "metrics" });
    expect(c.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
    expect(c.args).toContain("--probe-key-file=/etc/vipmesh/probe/keys");
    expect(pod.volumes).toContainEqual({ name: "probe-key", secret: { secretName: "vipmesh-probe-key", defaultMode: 0o400 } });
    expect(pod.volumes).toContainEqual({ name: "nats-client", secret: { secretName: "vipmesh-nats-speaker", defaultMode: 0o400 } });
    expect(c.args).toContain("--replicas=3");
    const controller = find(objs, "Deployment", "vipmesh-controller").spec;
    expect(controller.replicas).toBe(2);
    expect(controller.template.spec.containers[0].args).toEqual(expect.arrayContaining(["controller", "--replicas=3", "--nats-user=controller"]));
    expect(controller.template.spec.containers[0].readinessProbe.httpGet).toEqual({ path: "/readyz", port: "metrics" });
  });

  it("runs a JetStream cluster of 3 with volumes, fsync on every write, a PDB and a headless Service", async () => {
    const objs = objects(await renderChart());
    const sts = find(objs, "StatefulSet", "vipmesh-nats").spec;
    expect(sts.replicas).toBe(3);
    expect(sts.serviceName).toBe("vipmesh-nats-headless");
    expect(sts.volumeClaimTemplates[0].spec.resources.requests.storage).toBe("10Gi");
    const conf = find(objs, "ConfigMap", "vipmesh-nats-config").data?.["nats.conf"] ?? "";
    expect(conf).toContain("sync_interval: always");
    expect(conf.match(/nats-route:\/\/vipmesh-nats-\d\.vipmesh-nats-headless\.metallb-system\.svc:6222/g)).toHaveLength(3);
    expect(conf.match(/verify: true/g)).toHaveLength(2);
    expect(find(objs, "PodDisruptionBudget", "vipmesh-nats").spec.maxUnavailable).toBe(1);
    expect(find(objs, "Service", "vipmesh-nats-headless").spec.clusterIP).toBe("None");
  });

  it("uses an existing NATS with nats.external.url: no NATS objects, no generated NATS Secret", async () => {
    const objs = objects(await renderChart({ set: ["nats.external.url=nats://nats.example.invalid:4222", "nats.external.tlsServerName=nats.example.invalid", "nats.streamReplicas=5"] }));
    expect(objs.filter((o) => o.metadata.name.startsWith("vipmesh-nats")).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
    const args = find(objs, "DaemonSet", "vipmesh-speaker").spec.template.spec.containers[0].args as string[];
    expect(args).toEqual(expect.arrayContaining(["--nats=nats://nats.example.invalid:4222", "--nats-tls-server-name=nats.example.invalid", "--replicas=5"]));
  });

  it("gives each NATS user its role's permissions from files/nats-permissions.json ({id}: its identity), full rights without it", async () => {
    const authOf = (yaml: string): string => find(objects(yaml), "Secret", "vipmesh-nats-auth").stringData?.["auth.conf"] ?? "";
    const copy = mkdtempSync(join(tmpdir(), "vipmesh-chart-"));
    cleanups.push(() => rmSync(copy, { recursive: true, force: true }));
    cpSync(CHART_DIR, copy, { recursive: true });
    const render = async (): Promise<string> => {
      const r = await runHelm(["template", "vipmesh", copy, "--namespace", "metallb-system", "--set", "nats.speakerNodes={node1,node2}", "--set", "nats.auth.mode=static"]);
      expect(r.code, r.stderr).toBe(0);
      return authOf(r.stdout);
    };
    rmSync(join(copy, "files/nats-permissions.json"), { force: true });
    const plain = await render();
    expect(plain).toMatch(/user: "speaker-node1", password: "\$2a\$/);
    expect(plain).not.toContain("permissions");
    const roles = {
      speaker: { publish: ["vipmesh.hb.{id}", "$JS.API.INFO"], subscribe: ["_INBOX_speaker.{id}.>"], inboxPrefix: "_INBOX_speaker.{id}" },
      controller: { publish: ["vipmesh.ev.ip.*.{id}"], subscribe: ["_INBOX_controller.{id}.>"], inboxPrefix: "_INBOX_controller.{id}" },
      reader: { publish: { deny: [">"] }, subscribe: ["_INBOX_reader.>"] },
    };
    writeFileSync(join(copy, "files/nats-permissions.json"), JSON.stringify({ version: 1, roles }));
    const auth = await render();
    expect(auth).toContain('user: "speaker-node2", password: ');
    expect(auth).toContain('permissions: {"publish":{"allow":["vipmesh.hb.node2","$JS.API.INFO"]},"subscribe":{"allow":["_INBOX_speaker.node2.>"]}} }');
    expect(auth).toContain('permissions: {"publish":{"allow":["vipmesh.ev.ip.*.*"]},"subscribe":{"allow":["_INBOX_controller.*.>"]}} }');
    expect(auth).toContain('permissions: {"publish":{"deny":[">"]},"subscribe":{"allow":["_INBOX_reader.>"]}} }');
    expect(auth).toMatch(/user: "admin", password: "[^"]+" \}/);
  });

  it("logs speakers in through NATS auth callout by default: each Pod's own projected token, the controllers answer, no speaker user", async () => {
    const objs = objects(await renderChart({ set: ["nats.speakerNodes={node1}"] }));
    const auth = find(objs, "Secret", "vipmesh-nats-auth").stringData?.["auth.conf"] ?? "";
    expect(auth).not.toContain("speaker-node1");
    expect(auth).toMatch(/auth_callout \{\s+include \.\/callout\.conf\s+auth_users: \["admin","controller","reader"\]\s+\}/);
    expect(auth).toMatch(/user: "controller", password: "[^"]+", permissions: \{"allow_responses":true,.*"subscribe":\{"allow":\[[^\]]*"\$SYS\.REQ\.USER\.AUTH"/);
    const speaker = find(objs, "DaemonSet", "vipmesh-speaker").spec.template.spec;
    expect(speaker.containers[0].args).toContain("--nats-token-file=/var/run/secrets/vipmesh/nats/token");
    expect(speaker.containers[0].args.some((a: string) => a.startsWith("--nats-user"))).toBe(false);
    expect(speaker.volumes.find((v: { name: string }) => v.name === "nats-token").projected.sources).toEqual([{ serviceAccountToken: { audience: "vipmesh-nats", expirationSeconds: 3600, path: "token" } }]);
    const controller = find(objs, "Deployment", "vipmesh-controller").spec.template.spec;
    expect(controller.containers[0].args).toEqual(expect.arrayContaining(["--nats-callout-issuer-seed-file=/etc/vipmesh/callout/issuer.seed", "--nats-callout-xkey-seed-file=/etc/vipmesh/callout/xkey.seed"]));
    expect(controller.volumes.find((v: { name: string }) => v.name === "callout-keys").secret.items.map((i: { key: string }) => i.key)).toEqual(["issuer.seed", "xkey.seed"]);
    // The NATS servers see only the public keys.
    const natsSources = find(objs, "StatefulSet", "vipmesh-nats").spec.template.spec.volumes[0].projected.sources;
    expect(natsSources).toContainEqual({ secret: { name: "vipmesh-nats-callout", items: [{ key: "callout.conf", path: "auth/callout.conf" }] } });
    expect(find(objs, "ClusterRole", "vipmesh-controller-token-review").spec ?? (find(objs, "ClusterRole", "vipmesh-controller-token-review") as unknown as { rules: unknown }).rules).toEqual([{ apiGroups: ["authentication.k8s.io"], resources: ["tokenreviews"], verbs: ["create"] }]);
    expect(find(objs, "Job", "vipmesh-callout-keys-1").spec.template.spec.containers[0].args).toEqual(["nats-callout-keys", "--namespace=metallb-system", "--secret=vipmesh-nats-callout"]);
  });

  it("with nats.auth.mode static: a password user per listed Node, no callout, no token, no TokenReview", async () => {
    const objs = objects(await renderChart({ set: ["nats.speakerNodes={node1}", "nats.auth.mode=static"] }));
    const auth = find(objs, "Secret", "vipmesh-nats-auth").stringData?.["auth.conf"] ?? "";
    expect(auth).toContain('user: "speaker-node1"');
    expect(auth).not.toContain("auth_callout");
    expect(find(objs, "DaemonSet", "vipmesh-speaker").spec.template.spec.containers[0].args).toContain("--nats-user=speaker-$(NODE_NAME)");
    expect(objs.filter((o) => /callout|token-review/.test(o.metadata.name)).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([]);
  });

  it("creates the log as admin in a Job of each release revision, with the streams' replicas (no hook: --wait would wait for it)", async () => {
    const job = find(objects(await renderChart()), "Job", "vipmesh-log-init-1");
    expect(job.metadata).not.toHaveProperty("annotations");
    const c = job.spec.template.spec.containers[0];
    expect(c.args).toEqual(expect.arrayContaining(["log", "init", "--nats-user=admin", "--replicas=3"]));
    expect(job.spec.template.spec.volumes[0].secret.secretName).toBe("vipmesh-nats-admin");
  });

  it("renders the PodMonitor, the PrometheusRule from files/monitoring/rules.yaml and the dashboard ConfigMap when asked, none by default", async () => {
    const kinds = (objs: Obj[]): string[] => objs.filter((o) => ["PodMonitor", "PrometheusRule"].includes(o.kind) || o.metadata.name === "vipmesh-dashboard").map((o) => o.kind);
    expect(kinds(objects(await renderChart()))).toEqual([]);
    const objs = objects(await renderChart({ set: ["monitoring.podMonitor.enabled=true", "monitoring.prometheusRules.enabled=true", "monitoring.dashboard.enabled=true"] }));
    expect(kinds(objs).sort()).toEqual(["ConfigMap", "PodMonitor", "PrometheusRule"]);
    const rules = parse(readFileSync(join(CHART_DIR, "files/monitoring/rules.yaml"), "utf8")) as unknown;
    expect(find(objs, "PrometheusRule", "vipmesh").spec).toEqual(rules);
    expect(JSON.parse(find(objs, "ConfigMap", "vipmesh-dashboard").data?.["vipmesh.json"] ?? "")).toEqual(JSON.parse(readFileSync(join(CHART_DIR, "files/monitoring/dashboard.json"), "utf8")));
    expect(find(objs, "PodMonitor", "vipmesh").spec.podMetricsEndpoints).toEqual([{ port: "metrics", path: "/metrics" }]);
  });
});

/** A free loopback TCP port. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (a && typeof a === "object" ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

describe("the NATS PKI and users the chart makes", () => {
  it("run a real nats-server that lets speaker-node1 in over mutual TLS with its password, and no one with a wrong one (nats.auth.mode static)", async () => {
    const objs = objects(await renderChart({ set: ["nats.speakerNodes={node1}", "nats.auth.mode=static"] }));
    const dir = mkdtempSync(join(tmpdir(), "vipmesh-chart-nats-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    mkdirSync(join(dir, "tls"));
    mkdirSync(join(dir, "auth"));
    mkdirSync(join(dir, "client"));
    const server = find(objs, "Secret", "vipmesh-nats-server").data ?? {};
    for (const k of ["ca.crt", "tls.crt", "tls.key"]) writeFileSync(join(dir, "tls", k), b64(server[k]));
    const speaker = find(objs, "Secret", "vipmesh-nats-speaker").data ?? {};
    for (const k of ["ca.crt", "tls.crt", "tls.key"]) writeFileSync(join(dir, "client", k), b64(speaker[k]));
    writeFileSync(join(dir, "auth", "auth.conf"), find(objs, "Secret", "vipmesh-nats-auth").stringData?.["auth.conf"] ?? "");
    const [port, http] = [await freePort(), await freePort()];
    // The chart's configuration, on loopback and in the temp dir; one server (its routes name the cluster's Pods).
    const conf = chartNatsConfOnLoopback(find(objs, "ConfigMap", "vipmesh-nats-config").data?.["nats.conf"] ?? "", dir, port, http);
    expect(conf).toContain("sync_interval: always");
    writeFileSync(join(dir, "nats.conf"), conf);
    const proc: ChildProcess = spawn(natsServerPath(), ["--config", join(dir, "nats.conf")], { env: { ...process.env, POD_NAME: "vipmesh-nats-0" }, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    proc.stderr?.on("data", (d: Buffer) => (log += d.toString()));
    cleanups.unshift(() => proc.kill("SIGKILL"));
    const tls = { caFile: join(dir, "client/ca.crt"), certFile: join(dir, "client/tls.crt"), keyFile: join(dir, "client/tls.key"), servername: "vipmesh-nats.metallb-system.svc" };
    // The speaker's own reply prefix: the chart's permissions (files/nats-permissions.json) allow it no other.
    const dial = (pass: string) => connect({ servers: `127.0.0.1:${port}`, user: "speaker-node1", pass, tls, inboxPrefix: "_INBOX_speaker.node1", reconnect: false, timeout: 3_000 });
    let nc: Awaited<ReturnType<typeof dial>> | undefined;
    for (let i = 0; i < 50 && !nc; i++) nc = await dial(b64(speaker["node1"])).catch(async (e: unknown) => (i === 49 ? Promise.reject(new Error(`${String(e)}\n${log}`)) : new Promise((r) => setTimeout(r, 200)).then(() => undefined)));
    expect(nc).toBeDefined();
    const jsm = await jetstreamManager(nc!);
    expect((await jsm.getAccountInfo()).limits).toBeDefined();
    await nc!.close();
    await expect(dial("not-the-password")).rejects.toThrow(/Authorization/i);
  });
});

describe("the lab's command lines from the chart (src/lab/chartCommands.ts)", () => {
  it("keep every rendered flag but the cluster's NATS, probe key and replicas, which the lab replaces", async () => {
    const chart = chartCommands(await renderChart());
    const natsArgs = (user: string): string[] => ["--nats-user", user, "--nats-password-file", `/lab/${user}`];
    const speaker = labCommand(chart.speaker, { node: "node1", natsUrl: "nats://198.18.0.2:4222", natsArgs, replicas: 1, probeKeyArgs: ["--probe-key-file", "/lab/keys"], extraArgs: ["--kubeconfig", "/lab/kc"] });
    expect(speaker.args).toEqual([
      "speaker", "--node=node1", "--probe-port=7946", "--on-sigterm=handover", "--log-level=info",
      "--nats", "nats://198.18.0.2:4222", "--nats-user", "speaker-node1", "--nats-password-file", "/lab/speaker-node1", "--replicas", "1", "--probe-key-file", "/lab/keys",
      "--kubeconfig", "/lab/kc",
    ]);
    expect(speaker.env).toEqual({ NODE_NAME: "node1", VIPMESH_METRICS_PORT: "7472", NODE_OPTIONS: "--max-semi-space-size=1" });
    const controller = labCommand(chart.controller, { natsUrl: "nats://198.18.0.2:4222", natsArgs, replicas: 3, metricsPort: 7481 });
    // The auth callout's key files are the lab's or none (the lab's NATS then has a user per speaker).
    expect(controller.args.slice(0, 7)).toEqual([
      "controller", "--nats-callout-audience=vipmesh-nats", "--nats-callout-service-account=vipmesh-speaker", "--nats-callout-namespace=metallb-system", "--max-release-share=50", "--log-level=info", "--nats",
    ]);
    const withCallout = labCommand(chart.controller, { natsUrl: "nats://198.18.0.2:4222", natsArgs, replicas: 3, calloutArgs: ["--nats-callout-issuer-seed-file", "/lab/issuer.seed"] });
    expect(withCallout.args.slice(-2)).toEqual(["--nats-callout-issuer-seed-file", "/lab/issuer.seed"]);
    expect(controller.args).toContain("controller");
    expect(controller.env).toEqual({ VIPMESH_METRICS_PORT: "7481" });
    expect(() => labCommand(chart.speaker, { natsUrl: "x", natsArgs, replicas: 1 })).toThrow(/node's name/);
  });

  it("read from deploy/manifests (the demo, which builds no helm), give the speaker the chart's V8 flags", async () => {
    const chart = chartCommands(await renderChart());
    expect(chartNodeOptions(renderedManifestCommands().speaker)).toBe(chartNodeOptions(chart.speaker));
    expect(chartNodeOptions(chart.speaker)).not.toBe("");
  });
});
