import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { runCli, stopCli, type CliProc } from "../support/cliProcs.js";
import { LOOPBACK_CONFIG } from "../support/loopbackConfig.js";
import { declaredMetrics, freeTcpPort, metricNamesIn, sampleValue } from "../support/promText.js";

// The compiled speaker and allocator against a real nats-server, each serving /healthz, /readyz and /metrics on
// loopback: ready once caught up, not ready with the reason while NATS is away, and the series an operator's
// alerts and dashboard use. The chart's alert rules and dashboard name only metrics these scrapes declare.

const MONITORING = join(import.meta.dirname, "../../deploy/helm/vipmesh/files/monitoring");

let server: NatsServer;
let speaker: CliProc;
let allocator: CliProc;
let speakerPort: number;
let allocatorPort: number;

const get = async (port: number, path: string): Promise<{ status: number; body: string }> => {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
  return { status: r.status, body: await r.text() };
};

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
}

const readyBody = (port: number, status: number, text: RegExp) => until(`/readyz ${status} ${text}`, async () => {
  const r = await get(port, "/readyz");
  return r.status === status && text.test(r.body) ? r.body : undefined;
});

beforeAll(async () => {
  server = await startNatsServer();
  const config = join(mkdtempSync(join(tmpdir(), "vipmesh-metrics-")), "config.yaml");
  writeFileSync(config, LOOPBACK_CONFIG);
  speakerPort = await freeTcpPort();
  allocatorPort = await freeTcpPort();
  const monitor = (port: number) => ["--metrics-port", String(port), "--metrics-address", "127.0.0.1"];
  // As admin: NATS permissions per role are tested elsewhere (nats-security); here the endpoints are.
  allocator = runCli(["allocator", "--nats", server.url, ...server.cliArgs(), "--id", "a1", "--config", config, ...monitor(allocatorPort)]);
  speaker = runCli(["speaker", "--node", "n1", "--nats", server.url, ...server.cliArgs(), "--config", config, "--probe-port", "0", "--insecure-probes", ...monitor(speakerPort)]);
});

afterAll(async () => {
  for (const p of [speaker, allocator]) if (p) await stopCli(p);
  await server?.stop();
});

describe("health, readiness and metrics of running agents (real nats-server)", () => {
  it("both agents become ready and alive once caught up with the log", async () => {
    expect(await readyBody(allocatorPort, 200, /^ok$/m)).toBe("ok\n");
    expect(await readyBody(speakerPort, 200, /^ok$/m)).toBe("ok\n");
    expect(await get(speakerPort, "/healthz")).toEqual({ status: 200, body: "ok\n" });
    expect(await get(allocatorPort, "/healthz")).toEqual({ status: 200, body: "ok\n" });
    expect((await get(speakerPort, "/nope")).status).toBe(404);
  });

  it("the allocator's scrape has MetalLB's pool gauges and its won claim", async () => {
    const text = await until("the allocation in the allocator's metrics", async () => {
      const t = (await get(allocatorPort, "/metrics")).body;
      return sampleValue(t, "metallb_allocator_addresses_in_use_total", { pool: "loopback" }) === 1 ? t : undefined;
    });
    expect(sampleValue(text, "metallb_allocator_addresses_total", { pool: "loopback" })).toBe(11);
    expect(sampleValue(text, "vipmesh_ip_claims_total", { result: "won" })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(text, "vipmesh_ready")).toBe(1);
    expect(sampleValue(text, "vipmesh_log_lag_messages", { agent: "allocator", stream: "EVENTS" })).toBe(0);
    expect(sampleValue(text, "vipmesh_config_changes_total", { agent: "allocator", result: "invalid" })).toBe(0);
  });

  it("the speaker's scrape says what it announces, its membership, claims and fence", async () => {
    const text = await until("the announced VIP in the speaker's metrics", async () => {
      const t = (await get(speakerPort, "/metrics")).body;
      return sampleValue(t, "metallb_speaker_announced", { ip: "127.0.0.200" }) === 1 ? t : undefined;
    });
    expect(sampleValue(text, "metallb_speaker_announced", { service: "default/web", protocol: "layer2", node: "n1", ip: "127.0.0.200" })).toBe(1);
    expect(sampleValue(text, "vipmesh_membership_nodes", { status: "alive" })).toBe(1);
    expect(sampleValue(text, "vipmesh_membership_nodes", { status: "dead" })).toBe(0);
    expect(sampleValue(text, "vipmesh_vip_claims_total", { result: "won" })).toBe(1);
    expect(sampleValue(text, "vipmesh_vips_without_owner")).toBe(0);
    expect(sampleValue(text, "vipmesh_fenced")).toBe(0);
    expect(sampleValue(text, "vipmesh_build_info", { command: "speaker" })).toBe(1);
    expect(sampleValue(text, "vipmesh_probe_drops_total", { reason: "bad-tag" })).toBe(0);
    expect(sampleValue(text, "vipmesh_log_lag_seconds", { agent: "speaker", stream: "EVENTS" })).toBe(0);
    expect(sampleValue(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("the chart's alert rules and dashboard name only metrics the agents export", async () => {
    const declared = new Set([...declaredMetrics((await get(speakerPort, "/metrics")).body), ...declaredMetrics((await get(allocatorPort, "/metrics")).body)]);
    const rules = parse(readFileSync(join(MONITORING, "rules.yaml"), "utf8")) as { groups: { rules: { alert: string; expr: string }[] }[] };
    const ruleExprs = rules.groups.flatMap((g) => g.rules.map((r) => r.expr));
    const dashboard = JSON.parse(readFileSync(join(MONITORING, "dashboard.json"), "utf8")) as { panels: { targets: { expr: string }[] }[] };
    const panelExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const alerts = new Set(rules.groups.flatMap((g) => g.rules.map((r) => r.alert)));
    for (const wanted of ["VipmeshVipWithoutOwner", "VipmeshSpeakerFenced", "VipmeshLogLag", "VipmeshBgpSessionDown", "VipmeshPoolNearlyExhausted"]) expect(alerts).toContain(wanted);
    const named = metricNamesIn([...ruleExprs, ...panelExprs].join("\n"));
    expect(named.size).toBeGreaterThan(10);
    expect([...named].filter((n) => !declared.has(n))).toEqual([]);
  });

  it("a speaker without NATS is not ready and says why, and is ready again once NATS is back", async () => {
    await server.kill(); // the port stays free until restart() listens on it again
    const body = await readyBody(speakerPort, 503, /speaker: not connected to NATS/);
    expect(body).toContain("speaker: not connected to NATS");
    expect((await get(speakerPort, "/healthz")).status).toBe(200);
    expect(await readyBody(allocatorPort, 503, /allocator: not connected to NATS/)).toContain("allocator: not connected to NATS");
    await server.restart();
    expect(await readyBody(speakerPort, 200, /^ok$/m)).toBe("ok\n");
    expect(await readyBody(allocatorPort, 200, /^ok$/m)).toBe("ok\n");
  });
});
