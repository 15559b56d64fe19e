import { jetstream } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { publishEvent } from "../../src/adapters/nats/publish.js";
import { SnapshotStore } from "../../src/adapters/nats/snapshots.js";
import { subjects } from "../../src/events/subjects.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { memoryLogger } from "../support/memoryLog.js";

// A snapshot over the server's max_payload (a state of 10,000 Services is about 7 MB, NATS's default limit 1 MiB)
// cannot be stored. Against a real nats-server: the store says so once, does not send it, and does not encode
// another one until the log has doubled (a speaker encoded one every 1,000 events, tens of megabytes of garbage each).

let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  server = await startNatsServer();
  nc = await connectNats({ servers: [server.url], security: server.client(), name: "snapshot-size", pingIntervalMs: 2_000 });
  const js = jetstream(nc);
  for (let i = 0; i < 4; i++) await publishEvent(js, subjects.nodeLifecycle(`n${i}`), { type: "NodeLeft", data: { node: `n${i}`, incarnation: 1, reason: "shutdown" } });
});

afterAll(async () => {
  await nc?.close();
  await server?.stop();
});

/** A state at `seq` whose snapshot is about `vips` x 110 bytes. */
function stateOf(seq: number, vips: number): LogState {
  const state = emptyLogState();
  state.seq = seq;
  for (let i = 0; i < vips; i++) state.vips[`198.18.${64 + (i >> 8)}.${i & 255}`] = { owner: "node1", incarnation: 1, term: 1, subjectSeq: i + 1, since: 1, reason: "unowned" };
  return state;
}

describe("snapshots over the server's max_payload", () => {
  it("are not sent, are reported once, and are tried again when the log has doubled", async () => {
    const { log, lines } = memoryLogger();
    const store = await SnapshotStore.open(nc, "speaker", log);
    const kv = await new Kvm(nc).open("vipmesh_snapshots");
    expect(await store.save(stateOf(1, 12_000), true)).toBe(false);
    expect(store.tooLarge?.bytes).toBeGreaterThan(1024 * 1024);
    expect(await kv.get("speaker")).toBeNull();
    expect(await store.save(stateOf(1, 10), true)).toBe(false); // seq 1 < 2 x 1: not even encoded
    expect(store.tooLarge?.seq).toBe(1);
    expect(await store.save(stateOf(2, 12_000), true)).toBe(false); // the log doubled: tried again, still too large
    expect(store.tooLarge?.seq).toBe(2);
    expect(await store.save(stateOf(4, 10), true)).toBe(true);
    expect(store.tooLarge).toBeNull();
    expect((await kv.get("speaker"))?.operation).toBe("PUT");
    expect(lines().filter((l) => String(l["msg"]).includes("larger than the server's max_payload"))).toHaveLength(1);
  });
});
