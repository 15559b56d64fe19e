import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { DEFAULT_STREAM_SETTINGS, ensureStreams } from "../../src/adapters/nats/streams.js";
import { KUBE_SOURCE, publishIfNewer } from "../../src/kube/ingest/guardedPublisher.js";
import type { BuiltConfig } from "../../src/kube/ingest/kubeSource.js";
import { decodeConfigHash } from "../../src/kube/ingest/revisions.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { clusterConfig, pool } from "../support/ipamFixtures.js";
import { loggedSource } from "../support/loggedSource.js";

// Several ingest replicas without a lease, against a real nats-server: the Kubernetes configuration's chain
// (vipmesh.ev.cfg.kubernetes.>) only ever moves forward in every kind's resourceVersion, however replicas lag or race.

let server: NatsServer;
let nc: NatsConnection;
let js: JetStreamClient;
let jsm: JetStreamManager;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: [server.url], security: server.client(), name: "guard-test", pingIntervalMs: 2_000 });
  js = jetstream(nc);
  jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, DEFAULT_STREAM_SETTINGS);
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

// Each content is its own pool, so two contents differ in their objects as real views do.
const built = (content: string, revisions: bigint[]): BuiltConfig => ({
  config: clusterConfig({ pools: [{ ...pool("p", ["198.18.0.0/24"]), labels: { content } }] }),
  contentHash: content,
  revisions,
  objects: [],
  problems: [],
  ignored: [],
  warnings: [],
});

const publish = async (b: BuiltConfig) => publishIfNewer(js, b, await loggedSource(nc, KUBE_SOURCE));

async function loggedRevisions(): Promise<bigint[] | undefined> {
  return decodeConfigHash((await loggedSource(nc, KUBE_SOURCE)).hash ?? "")?.revisions;
}

describe("the guarded Kubernetes configuration publisher", () => {
  it("publishes forward only: stale views are refused, same content is not republished", async () => {
    expect((await publish(built("a", [10n, 10n]))).kind).toBe("published");
    expect(await publish(built("b", [9n, 11n]))).toEqual({ kind: "stale", lagging: [0] });
    expect((await publish(built("c", [11n, 11n]))).kind).toBe("published");
    expect((await publish(built("c", [12n, 12n]))).kind).toBe("unchanged");
    expect(await loggedRevisions()).toEqual([11n, 11n]);
  });

  it("of two replicas racing from the same last configuration, one is stored; the loser decides again", async () => {
    const older = built("d", [20n, 20n]);
    const newer = built("e", [21n, 21n]);
    const base = await loggedSource(nc, KUBE_SOURCE);
    const first = await Promise.all([publishIfNewer(js, older, base), publishIfNewer(js, newer, base)]);
    expect(first.map((o) => o.kind).sort()).toEqual(["conflict", "published"]);
    // The loser tries again, as the ingest loop does: the newer view always ends on the log, never the older after it.
    const retry = await Promise.all(first.map((o, i) => (o.kind === "conflict" ? publish(i === 0 ? older : newer) : o)));
    expect(retry.some((o) => o.kind === "stale") || retry.every((o) => o.kind === "published")).toBe(true);
    expect(await loggedRevisions()).toEqual([21n, 21n]);
  });
});
