import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { closeNats, connectNats } from "../../adapters/nats/connect.js";
import type { NatsClientSecurity } from "../../adapters/nats/security.js";
import { readWholeStream } from "../../adapters/nats/readLog.js";
import { decodeHeartbeatEntries, decodeLogEntries, type RawEntry } from "../../events/entries.js";
import { STREAMS, type StreamName } from "../../events/types.js";
import { SNAPSHOT_BUCKET } from "../../events/permissions.js";
import { applyHeartbeatBatch, applyLogBatch } from "../../projections/batch.js";
import { emptyLogState, type LogState } from "../../projections/logState.js";
import { emptyMembership, type MembershipState } from "../../projections/membership.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../projections/settings.js";
import { vipmeshCliPath } from "../../lab/paths.js";
import { startNatsServer, type NatsServer } from "../../testing/localNatsServer.js";
import { startCalloutTarget, type CalloutTarget } from "./calloutTarget.js";

// What the attacks run against: a real nats-server with the roles' authorization (rendered from permissions.ts as
// every deployment's is), the install step done by the admin, and real agents in their roles: speaker node1 and
// allocator a1 (which also publishes the file configuration, holding a BGP password).

export const SECRET = "attacks-bench-md5-S3cret";
export const VIP = "127.0.0.200";
export const PROBE_KEY = Buffer.alloc(32, 9);

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
spec: { myASN: 64512, peerASN: 64513, peerAddress: 127.0.0.9, password: "${SECRET}" }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default, annotations: { metallb.io/loadBalancerIPs: ${VIP} } }
spec: { type: LoadBalancer }
`;

export type AttackTarget = {
  server: NatsServer;
  /** The speakers' logins through NATS auth callout (calloutTarget.ts). */
  callout: CalloutTarget;
  probePort: number;
  metricsPort: number;
  /** A connection as `user` (closed at the end); null with the reason when the server refused it. */
  as(user: string): Promise<NatsConnection>;
  js(user: string): Promise<JetStreamClient>;
  jsm(user: string): Promise<JetStreamManager>;
  /** Both projections from the whole log, as every agent derives them. */
  project(): Promise<{ log: LogState; members: MembershipState }>;
  /** Every stored message (both streams and the bucket), raw. */
  everything(): Promise<Uint8Array[]>;
  stop(): Promise<void>;
};

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
}

function agent(args: string[]): ChildProcess {
  return spawn(process.execPath, [vipmeshCliPath(), ...args], { stdio: ["ignore", "pipe", "pipe"] });
}

async function waitForLine(child: ChildProcess, msg: string, ms: number): Promise<void> {
  const seen: string[] = [];
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => seen.push(chunk));
  return new Promise((resolve, reject) => {
    const said = (): string => seen.join("").split("\n").filter((l) => /"level":[456]0|vipmesh:/.test(l)).slice(-3).join(" | ");
    const timer = setTimeout(() => reject(new Error(`agent did not log "${msg}" within ${ms} ms; its last warnings: ${said()}`)), ms);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      seen.push(chunk);
      if (chunk.includes(`"msg":"${msg}"`)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
}

export async function startAttackTarget(): Promise<AttackTarget> {
  const server = await startNatsServer({
    users: ["speaker-node1", "speaker-node2", "allocator-a1", "allocator-a2"],
    grants: { "speaker-node1": [{ role: "speaker", id: "node1" }], "speaker-node2": [{ role: "speaker", id: "node2" }], "allocator-a2": [{ role: "allocator", id: "a2" }] },
  });
  const dir = mkdtempSync(join(tmpdir(), "vipmesh-attacks-"));
  writeFileSync(join(dir, "config.yaml"), CONFIG);
  writeFileSync(join(dir, "probe.keys"), `1 ${PROBE_KEY.toString("base64")}\n`);
  const [probePort, metricsPort] = [await freePort(), await freePort()];
  const allocator = agent(["allocator", "--nats", server.url, ...server.cliArgs("allocator-a1"), "--allocator-id", "a1", "--config", join(dir, "config.yaml"), "--metrics-port", "0"]);
  const speaker = agent(["speaker", "--node", "node1", "--nats", server.url, ...server.cliArgs("speaker-node1"), "--probe-port", String(probePort), "--probe-key-file", join(dir, "probe.keys"), "--metrics-port", String(metricsPort)]);
  const conns: NatsConnection[] = [];
  const as = async (user: string): Promise<NatsConnection> => {
    const security: NatsClientSecurity = server.client(user);
    const nc = await connectNats({ servers: [server.url], security, name: `attack-as-${user}`, pingIntervalMs: 2_000, giveUpAfterMs: 5_000 });
    conns.push(nc);
    return nc;
  };
  const reader = await as("reader");
  const calloutStarting = startCalloutTarget();
  await Promise.all([waitForLine(speaker, "claimed VIP", 60_000), waitForLine(allocator, "claimed IP", 60_000)]);
  const callout = await calloutStarting;
  const read = async (stream: StreamName): Promise<RawEntry[]> => {
    const all: RawEntry[] = [];
    await readWholeStream(reader, stream, (batch) => all.push(...batch));
    return all;
  };
  return {
    server,
    callout,
    probePort,
    metricsPort,
    as,
    js: async (user) => jetstream(await as(user)),
    jsm: async (user) => jetstreamManager(await as(user), { timeout: 3_000 }),
    project: async () => ({
      log: applyLogBatch(emptyLogState(), decodeLogEntries(await read(STREAMS.events), () => undefined)),
      members: applyHeartbeatBatch(emptyMembership(), decodeHeartbeatEntries(await read(STREAMS.heartbeats), () => undefined), DEFAULT_MEMBERSHIP_SETTINGS),
    }),
    everything: async () => {
      const kv = await new Kvm(reader).open(SNAPSHOT_BUCKET);
      const values: Uint8Array[] = [];
      for await (const key of await kv.keys()) {
        const entry = await kv.get(key);
        if (entry) values.push(entry.value);
      }
      return [...(await read(STREAMS.events)), ...(await read(STREAMS.heartbeats))].map((e) => e.data).concat(values);
    },
    stop: async () => {
      for (const child of [speaker, allocator]) child.kill("SIGKILL");
      await Promise.all(conns.map((c) => closeNats(c).catch(() => undefined)));
      await server.stop();
      await callout.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
