import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { jetstream, type JetStreamClient } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { publishEvent } from "../../src/adapters/nats/publish.js";
import { DEFAULT_STREAM_SETTINGS } from "../../src/adapters/nats/streams.js";
import { runAllocator } from "../../src/agents/allocator/allocator.js";
import type { BgpAnnouncer } from "../../src/agents/speaker/bgpAnnouncer.js";
import { FRESH_START } from "../../src/agents/speaker/bgpRestart.js";
import { fileConfigSource } from "../../src/agents/speaker/configSource.js";
import { runSpeaker } from "../../src/agents/speaker/speaker.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import type { ClusterConfig } from "../../src/config/types.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { subjects } from "../../src/events/subjects.js";
import type { DomainEvent, LogEvent } from "../../src/events/types.js";
import { vipmeshCliPath } from "../../src/lab/paths.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import type { BgpPlan } from "../../src/projections/bgp/bgpPlan.js";
import { refusalsByReason } from "../../src/projections/eventRules.js";
import { DEFAULT_RELEASE_GUARD } from "../../src/projections/ipam/releaseGuard.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { DEFAULT_FENCE_SETTINGS } from "../../src/protocols/fence/fenceMachine.js";
import { parseProbeKeys } from "../../src/protocols/fence/probeKeys.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { memoryLogger } from "../support/memoryLog.js";
import { RecordingAnnouncer } from "../support/recordingAnnouncer.js";

// Forged events published with the admin's credentials (a role that passes every server-side permission) into a
// running cluster (a real nats-server, a speaker and an allocator on loopback): each decodes or not, and each is
// refused by the projection with its reason; nothing is announced because of them, over L2 or BGP, and
// `vipmesh replay` shows each as refused.

const NODE = "loopnode";
const VIP = "127.0.0.200";
const CONFIG = `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: loopback, namespace: metallb-system }
spec: { addresses: ["127.0.0.200-127.0.0.210"] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: l2, namespace: metallb-system }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: 64512, peerASN: 64513, peerAddress: "198.18.0.1" }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: bgp, namespace: metallb-system }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default, annotations: { metallb.io/loadBalancerIPs: ${VIP} } }
spec: { type: LoadBalancer }
`;

let server: NatsServer;
let admin: NatsConnection;
let js: JetStreamClient;
const announcer = new RecordingAnnouncer();
const plans: BgpPlan[] = [];
const stop = new AbortController();
let agents: Promise<unknown>;

/** Records the plans the speaker hands its BGP backend; opens no session. */
const recordingBgp: BgpAnnouncer = {
  begin: () => FRESH_START,
  update: (plan) => void plans.push(plan),
  close: async () => undefined,
};
const routes = (): string[] => [...new Set(plans.flatMap((p) => [...p.values()].flatMap((peer) => [...peer.routes.keys()])))].sort();

async function until(what: string, probe: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function logState(): Promise<LogState> {
  let state = emptyLogState();
  await readWholeStream(admin, "EVENTS", (batch) => (state = applyLogBatch(state, decodeLogEntries(batch, () => undefined))));
  return state;
}

beforeAll(async () => {
  server = await startNatsServer();
  const file = join(mkdtempSync(join(tmpdir(), "vipmesh-forged-")), "config.yaml");
  writeFileSync(file, CONFIG);
  const keys = parseProbeKeys(`1 ${Buffer.alloc(32, 5).toString("base64")}`, "test key");
  agents = Promise.all([
    runSpeaker({
      node: NODE, natsServers: [server.url], natsSecurity: server.client(), configSource: fileConfigSource(file), membership: DEFAULT_MEMBERSHIP_SETTINGS,
      streams: DEFAULT_STREAM_SETTINGS, excludeInterfaces: [], version: "test", handoverTimeoutMs: 200, snapshotEveryEvents: 1_000, configPollMs: 200,
      releaseGuard: DEFAULT_RELEASE_GUARD, announcer, bgp: recordingBgp, fence: DEFAULT_FENCE_SETTINGS, probePort: 0, probeKeys: () => keys, onSigterm: "restart",
      restartGraceMs: 10_000, log: memoryLogger().log,
    }, stop.signal),
    runAllocator({
      id: "a1", natsServers: [server.url], natsSecurity: server.client(), configSource: fileConfigSource(file), lbClass: null, streams: DEFAULT_STREAM_SETTINGS,
      maxInFlight: 16, replanMs: 500, configPollMs: 200, releaseGuard: DEFAULT_RELEASE_GUARD, snapshotEveryEvents: 1_000, log: memoryLogger().log,
    }, stop.signal),
  ]);
  admin = await connectNats({ servers: [server.url], security: server.client("admin"), name: "forger", pingIntervalMs: 2_000 });
  js = jetstream(admin);
  await until("the VIP answered and advertised", () => announcer.current.has(VIP) && routes().includes(`${VIP}/32`));
}, 60_000);

afterAll(async () => {
  stop.abort();
  await agents;
  await admin?.close();
  await server?.stop();
});

const pool = (name: string, addresses: string[]) => ({ name, addresses, autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null });
const evidence = { previousOwner: null, previousOwnerStatus: null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: 0, eligibleNodes: 1 };

describe("forged events are refused by the projection", () => {
  it("each is refused with its reason, nothing is announced for them, and replay shows them refused", async () => {
    const before = await logState();
    const good = before.config!;
    const forgedConfig: ClusterConfig = {
      ...good.config,
      pools: [pool("everything", ["0.0.0.0/0"])],
      bgp: { ...good.config.bgp!, advertisements: [{ ...good.config.bgp!.advertisements[0]!, aggregationLength: 1 }] },
    };
    const sharing = { key: null, backendKey: "", ports: ["TCP/80"] };
    const claim = (vip: string): LogEvent => ({ type: "VipClaimed", data: { vip, node: NODE, incarnation: 1, term: 1, reason: "unowned", evidence } });
    const forged: [string, DomainEvent | Uint8Array][] = [
      [subjects.config("file"), { type: "ConfigApplied", data: { source: "file", hash: "forged", config: forgedConfig } }],
      // The same pool as one per-object change that continues the file source's chain exactly as a publisher's would.
      [subjects.configObject("file", "pool", "everything"), { type: "ConfigObjectChanged", data: { source: "file", name: "everything", revision: "forged", epoch: { hash: "forged-object", after: before.configSources["file"]?.chainSeq ?? 0, index: 0, count: 1 }, item: { kind: "pool", value: pool("everything", ["0.0.0.0/0"]) } } }],
      [subjects.ipClaim("10.99.0.1", "a1"), { type: "IpAllocated", data: { ip: "10.99.0.1", service: "default/web2", pool: "loopback", reason: "auto-assign", sharing, lbClass: null, evidence: { allocator: "a1", configHash: "forged", observedSeq: 0 } } }],
      [subjects.vipClaim("127.0.0.205", NODE), claim("127.0.0.205")],
      [subjects.nodeLifecycle(NODE), new TextEncoder().encode(`{"type":"NodeLeft","v":1,"data":${"[".repeat(64)}${"]".repeat(64)}}`)],
      [subjects.vipClaim(VIP, NODE), new TextEncoder().encode(JSON.stringify({ type: "VipClaimed", v: 1, data: { ...claim(VIP).data, term: 99, evidence: { ...evidence, previousOwnerStatus: "x".repeat(70_000) } } }))],
    ];
    for (const [subject, e] of forged) {
      const ack = e instanceof Uint8Array ? await js.publish(subject, e) : await publishEvent(js, subject, e);
      expect(ack, subject).toBeTruthy();
    }
    await new Promise((r) => setTimeout(r, 1_500));

    const after = await logState();
    expect(after.config?.hash).toBe(good.hash);
    expect(refusalsByReason(after)).toMatchObject({ "config-invalid": 2, "ip-outside-pools": 1, "vip-not-allocated": 1, invalid: 2 });
    expect(after.left).toEqual(before.left);
    // Nothing announced because of them: L2 answers the one allocated VIP, BGP advertises its /32 only.
    expect([...announcer.current.keys()]).toEqual([VIP]);
    expect(routes()).toEqual([`${VIP}/32`]);

    const { stdout } = await promisify(execFile)(process.execPath, [vipmeshCliPath(), "replay", "--nats", server.url, ...server.cliArgs("reader"), "--timeout", "20"], { maxBuffer: 16 * 1024 * 1024 });
    expect(stdout).toMatch(/ConfigApplied on vipmesh\.ev\.config\.file refused \(config-invalid\): IPAddressPool\/everything: spec\.addresses\[0\]: 0\.0\.0\.0\/0 includes this-network addresses/);
    expect(stdout).toMatch(/ConfigObjectChanged on vipmesh\.ev\.cfg\.file\.pool\.everything refused \(config-invalid\): IPAddressPool\/everything: spec\.addresses\[0\]: 0\.0\.0\.0\/0 includes this-network addresses/);
    expect(stdout).toMatch(/IpAllocated on \S+ refused \(ip-outside-pools\): 10\.99\.0\.1 is in no IPAddressPool/);
    expect(stdout).toMatch(/VipClaimed on \S+ refused \(vip-not-allocated\): no Service holds 127\.0\.0\.205/);
    expect(stdout).toMatch(/invalid message on vipmesh\.ev\.node\.loopnode skipped \(too-deep: nested deeper than 32\)/);
    expect(stdout).toMatch(/invalid message on \S+ skipped \(too-large: \d+ bytes, more than 65536 on this subject\)/);
  }, 60_000);
});
