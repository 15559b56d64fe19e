import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync, gunzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { publishEvent } from "../../src/adapters/nats/publish.js";
import { SNAPSHOT_BUCKET, SNAPSHOT_KEY_LIST } from "../../src/adapters/nats/snapshots.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import { auditCommand } from "../../src/cli/auditCommand.js";
import { readIpamStatus } from "../../src/cli/ipamStatusCommand.js";
import { logExport } from "../../src/cli/logExportCommand.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { subjects } from "../../src/events/subjects.js";
import type { ClaimReason, DomainEvent } from "../../src/events/types.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState } from "../../src/projections/logState.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { encodeSnapshot } from "../../src/projections/snapshot.js";
import type { Finding } from "../../src/projections/audit/findings.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { runCli } from "../support/cliProcs.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";

// Against a real nats-server: a clean failover written as speakers and an allocator would write it audits clean;
// then each hand-made anomaly (written as the admin, who may publish anything) is found, by NATS and by an export.

const VIP = "198.18.0.200";
const settings = { membership: DEFAULT_MEMBERSHIP_SETTINGS, handoverBoundMs: 250 };
const sharing = { key: null, backendKey: "", ports: ["TCP/80"] };
const allocEvidence = { allocator: "a1", configHash: "h", observedSeq: 1 };

let server: NatsServer;
let nc: NatsConnection;
const dir = mkdtempSync(join(tmpdir(), "vipmesh-audit-"));
let hbSeq = 0;

async function publish(subject: string, event: DomainEvent): Promise<number> {
  const r = await publishEvent(jetstream(nc), subject, event);
  if (!r.ok) throw new Error(r.error);
  return r.seq;
}

/** Heartbeats of `nodes` every 50 ms for `ms`, published as the speakers would. */
async function beat(nodes: string[], ms: number, incarnation = 1): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    for (const node of nodes) hbSeq = await publish(subjects.heartbeat(node), { type: "NodeHeartbeatRecorded", data: { node, incarnation, beat: Date.now(), ready: true, version: "test", health: 0, interfaces: [] } });
    await new Promise((r) => setTimeout(r, 50));
  }
}

function claim(node: string, term: number, reason: ClaimReason, from: string | null): Promise<number> {
  const evidence = { previousOwner: from, previousOwnerStatus: from ? "dead" : null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: Date.now(), heartbeatSeq: hbSeq, eligibleNodes: 2 };
  return publish(subjects.vipClaim(VIP, node), { type: "VipClaimed", data: { vip: VIP, node, incarnation: 1, term, reason, evidence } });
}

const allocate = (ip: string, svc: string): Promise<number> =>
  publish(subjects.ipClaim(ip, "a1"), { type: "IpAllocated", data: { ip, service: svc, pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence: allocEvidence } });

const audit = (from?: string) => auditCommand({ nats: [server.url], security: server.client("reader"), settings, timeoutMs: 10_000, ...(from ? { from } : {}) });
const violations = (findings: Finding[]): [string, number[]][] => findings.filter((f) => f.level === "violation").map((f) => [f.check, f.events.filter((e) => e.stream === "EVENTS").map((e) => e.seq)]);

const seqs: Record<string, number> = {};

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: [server.url], security: server.client("admin"), name: "audit-test-admin", pingIntervalMs: 2_000 });
  await publish(subjects.config("file"), { type: "ConfigApplied", data: { source: "file", hash: "h1", config: clusterConfig({ pools: [pool("p", ["198.18.0.0/24"])], services: [service("default/web"), service("default/api")] }) } });
  seqs["web"] = await allocate(VIP, "default/web");
  seqs["api"] = await allocate("198.18.0.201", "default/api");
  await beat(["n1", "n2"], 600);
  seqs["n1"] = await claim("n1", 1, "unowned", null);
  await beat(["n1", "n2"], 300);
  await beat(["n2"], 700); // n1 is silent: dead after 300 ms of it
  seqs["n2"] = await claim("n2", 2, "owner-dead", "n1");
  await beat(["n2"], 200);
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("vipmesh audit against a real nats-server", () => {
  it("finds nothing wrong in a clean failover", async () => {
    const { report } = await audit();
    expect(violations(report.findings)).toEqual([]);
    expect(report.counts.events).toBe(5);
    expect(report.counts.heartbeats).toBeGreaterThan(40);
  });

  it("finds each hand-made anomaly, with the events that show it", async () => {
    seqs["dup"] = await claim("n1", 2, "owner-dead", "n1"); // a duplicate of term 2
    await beat(["n2"], 100); // n2 keeps beating...
    seqs["false"] = await claim("n1", 3, "owner-dead", "n2"); // ...yet n1 says it is dead
    await beat(["n2"], 100);
    seqs["release"] = await publish(subjects.ipClaim("198.18.0.201", "a1"), { type: "IpReleased", data: { ip: "198.18.0.201", service: "default/api", reason: "request-changed", detail: "renumbered by hand", evidence: allocEvidence } });
    await allocate("198.18.0.202", "default/api");
    const events: Parameters<typeof applyLogBatch>[1][number][] = [];
    await readWholeStream(nc, "EVENTS", (b) => events.push(...decodeLogEntries(b, () => undefined)));
    const atThree = applyLogBatch(emptyLogState(), events.slice(0, 3));
    const tampered = { ...atThree, ipam: { ...atThree.ipam, rejected: 7 } };
    const kv = await new Kvm(nc).open(SNAPSHOT_BUCKET);
    await kv.put(SNAPSHOT_KEY_LIST[0] ?? "", encodeSnapshot(tampered));

    const { report } = await audit();
    expect(violations(report.findings)).toEqual([
      ["snapshot-mismatch", [3]],
      ["claim-term", [seqs["n2"], seqs["dup"]]],
      ["allocation-moved", [seqs["api"], seqs["release"]]],
      ["claim-unjustified", [seqs["n2"], seqs["false"]]],
    ]);
  });

  it("reads the same from an export as from NATS: audit, replay and ipam-status", async () => {
    const file = join(dir, "log.jsonl.gz");
    const summary = await logExport({ nats: [server.url], security: server.client("reader"), file, timeoutMs: 10_000 });
    expect(summary.messages.EVENTS).toBe(9);
    expect(summary.entries).toBe(1);
    const live = await audit();
    const exported = await audit(file);
    expect(exported.origin).toBe(file);
    expect(exported.report).toEqual(live.report);
    const text = async (from?: string): Promise<string[]> => {
      const lines: string[] = [];
      await replayCommand({ nats: [server.url], security: server.client("reader"), vip: null, json: false, timeoutMs: 10_000, ...(from ? { from } : {}) }, (t) => lines.push(t));
      return lines;
    };
    expect(await text(file)).toEqual(await text());
    const status = await readIpamStatus([server.url], null, 10_000, server.client("reader"));
    expect(status.services.length).toBe(2);
    expect(await readIpamStatus([], null, 10_000, undefined, file)).toEqual(status);
  });

  it("the CLI exits 1 on a violation, and 2 naming the line of a damaged export", async () => {
    const file = join(dir, "log.jsonl.gz");
    const ok = runCli(["audit", "--from", file]);
    expect((await ok.exited).code).toBe(1);
    expect(ok.out[0]).toMatch(/^audit of .*log\.jsonl\.gz: 9 EVENTS, \d+ HEARTBEATS messages, 1 snapshot\(s\): 4 violation\(s\)/);
    const json = runCli(["audit", "--from", file, "--json"]);
    expect((await json.exited).code).toBe(1);
    const parsed = JSON.parse(json.out.join("\n")) as { origin: string; counts: { violations: number }; findings: Finding[] };
    expect(parsed.counts.violations).toBe(4);
    expect(parsed.findings.filter((f) => f.level === "violation").map((f) => f.check).sort()).toEqual(["allocation-moved", "claim-term", "claim-unjustified", "snapshot-mismatch"]);
    const lines = gunzipSync(readFileSync(file)).toString("utf8").split("\n");
    lines[4] = lines[4]?.slice(0, 30) ?? "";
    const damaged = join(dir, "damaged.jsonl.gz");
    writeFileSync(damaged, gzipSync(lines.join("\n")));
    const bad = runCli(["audit", "--from", damaged]);
    expect((await bad.exited).code).toBe(2);
    expect(bad.err.join("\n")).toMatch(/line 5: not JSON/);
  });
});
