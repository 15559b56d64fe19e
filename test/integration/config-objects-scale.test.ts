import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { DEFAULT_STREAM_SETTINGS, ensureStreams } from "../../src/adapters/nats/streams.js";
import { ConfigPublisher } from "../../src/agents/config/configPublisher.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import { fileConfigSource } from "../../src/agents/speaker/configSource.js";
import { DEFAULT_RELEASE_GUARD } from "../../src/projections/ipam/releaseGuard.js";
import { MAX_EVENT_BYTES } from "../../src/events/limits.js";
import { allocationsByService } from "../../src/projections/ipam/state.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { startAllocator, stopAllocator, until, type AllocatorProc } from "../support/allocatorProcs.js";
import { projectEvents } from "../support/loggedSource.js";
import { memoryLogger } from "../support/memoryLog.js";

// 10,000 Services from a --config file through per-object configuration events, against a real nats-server: two
// publishers race to publish the file from the same projection (identical changes cooperate: one change is stored),
// an allocator process (npm run build first) allocates every Service, and no message on the log comes near the
// 64 KiB event limit; one Service removed is one small message and one release.

const SERVICES = 10_000;
let server: NatsServer;
let nc: NatsConnection;
let dir: string;
const procs: AllocatorProc[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "vipmesh-scale-config-"));
  server = await startNatsServer();
  nc = await connectNats({ servers: [server.url], security: server.client(), name: "config-scale-test", pingIntervalMs: 2_000 });
  await ensureStreams(await jetstreamManager(nc), DEFAULT_STREAM_SETTINGS);
});

afterAll(async () => {
  await Promise.all(procs.map((p) => stopAllocator(p, "SIGKILL")));
  await nc?.close();
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const manifest = (services: number): string =>
  [
    `kind: IPAddressPool\nmetadata: { name: bulk }\nspec: { addresses: ["198.18.64.0/18"] }\n`,
    ...Array.from({ length: services }, (_, i) => `kind: Service\nmetadata: { name: svc${i}, namespace: scale }\nspec: { type: LoadBalancer, ports: [{ port: 80 }] }\n`),
  ].join("---\n");

/** Every EVENTS message's size, by subject prefix. */
async function messageSizes(): Promise<{ largest: number; configMessages: number; largestConfig: number }> {
  let largest = 0;
  let largestConfig = 0;
  let configMessages = 0;
  await readWholeStream(nc, "EVENTS", (batch) => {
    for (const m of batch) {
      largest = Math.max(largest, m.data.length);
      if (m.meta.subject.startsWith("vipmesh.ev.cfg.")) {
        configMessages++;
        largestConfig = Math.max(largestConfig, m.data.length);
      }
    }
  });
  return { largest, configMessages, largestConfig };
}

describe("10,000 Services as per-object configuration", () => {
  it("are published once, all allocated, with no message over 64 KiB; removing one costs one small message", async () => {
    const file = join(dir, "scale.yaml");
    writeFileSync(file, manifest(SERVICES));
    const conns = await Promise.all([0, 1].map((i) => connectNats({ servers: [server.url], security: server.client(), name: `publisher-${i}`, pingIntervalMs: 2_000 })));
    const view = { log: await projectEvents(nc), caughtUp: true };
    await Promise.all(conns.map((c) => new ConfigPublisher({ js: jetstream(c), source: fileConfigSource(file), guard: DEFAULT_RELEASE_GUARD, log: memoryLogger().log }).check(view)));
    await Promise.all(conns.map((c) => c.close()));
    procs.push(startAllocator(server, "s0"));
    // Counted from the stream's subjects (one per IP claimed), cheap enough to ask every few seconds.
    const claimed = async (): Promise<number> => Object.keys((await (await jetstreamManager(nc)).streams.info("EVENTS", { subjects_filter: "vipmesh.ev.ip.>" })).state.subjects ?? {}).length;
    await until(`${SERVICES} Services allocated`, async () => (await claimed()) >= SERVICES, 500_000, 3_000);
    const allocated = async (): Promise<number> => Object.keys(allocationsByService((await projectEvents(nc)).ipam)).length;
    expect(await allocated()).toBe(SERVICES);
    const sizes = await messageSizes();
    expect(sizes.largest).toBeLessThanOrEqual(MAX_EVENT_BYTES);
    expect(sizes.largestConfig).toBeLessThan(1_024);
    expect(sizes.configMessages).toBe(SERVICES + 1); // one change, however many publishers raced

    writeFileSync(file, manifest(SERVICES - 1));
    await new ConfigPublisher({ js: jetstream(nc), source: fileConfigSource(file), guard: DEFAULT_RELEASE_GUARD, log: memoryLogger().log }).check({ log: await projectEvents(nc), caughtUp: true });
    await until("the last Service released", async () => (await allocated()) === SERVICES - 1, 60_000, 3_000);
    const after = await messageSizes();
    expect(after.configMessages).toBe(SERVICES + 2);
    const state = await projectEvents(nc);
    expect(state.config?.config.services).toHaveLength(SERVICES - 1);
    expect(state.refused).toEqual({});
  }, 660_000);
});
