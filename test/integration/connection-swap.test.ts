import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectOnce, type NatsConnectOptions } from "../../src/adapters/nats/connect.js";
import { connectSwappableUnlessStopped } from "../../src/adapters/nats/connectSwappable.js";
import { followStream, type Follower } from "../../src/adapters/nats/follow.js";
import type { SwappableConnection } from "../../src/adapters/nats/swappableConnection.js";
import { subjects } from "../../src/events/subjects.js";
import { STREAMS } from "../../src/events/types.js";
import type { NatsSecurityKit } from "../../src/testing/natsSecurityKit.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";

// Make before break (issue 11): a renewed credential or certificate is a login on a second connection while the first
// keeps serving, then one move. A real nats-server with TLS (clients verified) and passwords, its /connz counting the
// connections; a speaker's user publishing its own heartbeats through the swappable connection every 5 ms while a
// follower reads them back through it. A break would show as a "disconnect" status, a failed publish, or a message the
// follower missed or read twice.

const NODE = "swapnode";
const USER = `speaker-${NODE}`;
let server: NatsServer;
let kit: NatsSecurityKit;

type Connz = { connections: { name?: string; cid: number }[] };

async function connectionsNamed(name: string): Promise<number[]> {
  const r = await fetch(`${server.monitorUrl ?? ""}/connz?limit=1000`, { signal: AbortSignal.timeout(5_000) });
  return ((await r.json()) as Connz).connections.filter((c) => c.name === name).map((c) => c.cid);
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A run: the connection, its statuses, a follower of HEARTBEATS and a publisher, all through the swappable connection. */
async function startRun(name: string, opts: { logLines?: Record<string, unknown>[] } = {}) {
  const stop = new AbortController();
  const lines = opts.logLines ?? [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
  const connectOpts: NatsConnectOptions & { log: typeof log; signal: AbortSignal } = { servers: [server.url], security: kit.client(USER), name, pingIntervalMs: 2_000, log, signal: stop.signal };
  const link = (await connectSwappableUnlessStopped(connectOpts)) as SwappableConnection;
  const statuses: string[] = [];
  void (async () => {
    for await (const s of link.nc.status()) statuses.push(s.type);
  })();
  let wholeClosed = false;
  void link.nc.closed().then(() => (wholeClosed = true));
  const read: number[] = [];
  const first = (await link.jsm.streams.info(STREAMS.heartbeats)).state.last_seq + 1;
  const follower: Follower = await followStream({
    nc: link.nc, js: link.js, jsm: link.jsm, stream: STREAMS.heartbeats, start: { seq: first }, maxBatch: 100, signal: stop.signal,
    onBatch: (batch) => read.push(...batch.map((m) => m.meta.seq)),
  });
  const acked: number[] = [];
  const failures: string[] = [];
  let publishing = true;
  const publisher = (async () => {
    while (publishing) {
      await link.js.publish(subjects.heartbeat(NODE), new TextEncoder().encode("{}")).then((ack) => acked.push(ack.seq), (err: unknown) => failures.push(String(err)));
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    link, statuses, read, acked, failures, lines, connectOpts,
    wholeClosed: () => wholeClosed,
    /** Stops publishing, waits until the follower read every acknowledged message, then closes everything. */
    finish: async () => {
      publishing = false;
      await publisher;
      const last = acked.at(-1) ?? 0;
      await until("the follower read every acknowledged heartbeat", () => (read.at(-1) ?? 0) >= last, 10_000);
      stop.abort();
      await link.nc.close();
      await follower.done;
    },
  };
}

beforeAll(async () => {
  server = await startNatsServer({ users: [USER], monitor: true });
  kit = server.kit as NatsSecurityKit;
}, 60_000);

afterAll(async () => {
  await server?.stop();
});

describe("a swappable connection", () => {
  it("moves a follower and a publisher to a new login five times with nothing lost, repeated or refused, and no disconnect", async () => {
    const run = await startRun("swap-renewals");
    const cids = new Set(await connectionsNamed("swap-renewals"));
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setTimeout(r, 300));
      await run.link.renew(() => connectOnce(run.connectOpts));
      for (const cid of await connectionsNamed("swap-renewals")) cids.add(cid);
    }
    await new Promise((r) => setTimeout(r, 300));
    await run.finish();

    expect(run.failures).toEqual([]);
    expect(run.acked.length).toBeGreaterThan(100);
    // Every acknowledged message read once, in order, and nothing else.
    expect(run.read).toEqual(run.acked);
    // Six logins (the first and five renewals), each its own connection at the server; never a break.
    expect(cids.size).toBe(6);
    expect(run.statuses.filter((s) => s === "reconnect")).toHaveLength(5);
    expect(run.statuses).not.toContain("disconnect");
    expect(run.wholeClosed()).toBe(true);
  });

  it("leaves the old connection to the server's count once its grace is over, and closes every connection when closed", async () => {
    const run = await startRun("swap-grace");
    await run.link.renew(() => connectOnce(run.connectOpts));
    expect((await connectionsNamed("swap-grace")).length).toBe(2);
    await until("the swapped-out connection is closed", async () => (await connectionsNamed("swap-grace")).length === 1, 10_000);
    expect(run.wholeClosed()).toBe(false);
    expect(run.link.nc.isClosed()).toBe(false);
    await run.link.renew(() => connectOnce(run.connectOpts));
    await run.finish();
    // Closed within the grace of the second swap: the retiring connection went with the current one.
    await until("no connection is left", async () => (await connectionsNamed("swap-grace")).length === 0, 10_000);
    expect(run.read).toEqual(run.acked);
  });

  it("keeps serving on the current connection when the new login is refused, and says why", async () => {
    const run = await startRun("swap-refused");
    const wrong = join(kit.dir, "wrong.password");
    writeFileSync(wrong, "not the password\n");
    const refusedOpts = { ...run.connectOpts, security: { ...kit.client(USER), auth: { kind: "password" as const, user: USER, password: { file: { path: wrong, source: "--nats-password-file" } } } } };
    await expect(run.link.renew(() => connectOnce(refusedOpts))).rejects.toThrow(/Authorization Violation/i);
    const before = run.acked.length;
    await until("publishing goes on", () => run.acked.length > before + 20, 10_000);
    await run.finish();
    expect(run.failures).toEqual([]);
    expect(run.statuses.filter((s) => s !== "ping")).toEqual(["close"]); // the end of the run, nothing before
    expect(run.read).toEqual(run.acked);
  });

  it("keeps serving when the new credential file is empty, and says which file", async () => {
    const run = await startRun("swap-empty");
    const empty = join(kit.dir, "empty.password");
    writeFileSync(empty, "");
    const emptyOpts = { ...run.connectOpts, security: { ...kit.client(USER), auth: { kind: "password" as const, user: USER, password: { file: { path: empty, source: "--nats-password-file" } } } } };
    await expect(run.link.renew(() => connectOnce(emptyOpts))).rejects.toThrow(/--nats-password-file: .*empty\.password is empty/);
    const before = run.acked.length;
    await until("publishing goes on", () => run.acked.length > before + 20, 10_000);
    await run.finish();
    expect(run.failures).toEqual([]);
    expect(run.read).toEqual(run.acked);
  });

  it("logs in again by itself when a credential file changes on disk, and moves over without a break", async () => {
    const lines: Record<string, unknown>[] = [];
    const run = await startRun("swap-files", { logLines: lines });
    const before = await connectionsNamed("swap-files");
    kit.reissueClientCert(); // the same path, new contents: what the connection watches
    await until("the move to a new connection is logged", () => lines.some((l) => l["msg"] === "moved to a new NATS connection made with the changed files"), 20_000);
    const after = await connectionsNamed("swap-files");
    expect(after.some((cid) => !before.includes(cid))).toBe(true);
    const moved = lines.find((l) => l["msg"] === "moved to a new NATS connection made with the changed files");
    expect(typeof moved?.["loginMs"]).toBe("number");
    await run.finish();
    expect(run.failures).toEqual([]);
    expect(run.statuses).not.toContain("disconnect");
    expect(run.read).toEqual(run.acked);
  });

  // Last: it stops the server.
  it("a renewal while the server is gone fails and changes nothing; the connection comes back with the server by itself", async () => {
    const run = await startRun("swap-gone");
    await server.kill();
    await expect(run.link.renew(() => connectOnce(run.connectOpts))).rejects.toThrow();
    expect(run.wholeClosed()).toBe(false);
    await server.restart();
    await until("the current connection reconnected", () => run.statuses.includes("reconnect"), 20_000);
    const before = run.acked.length;
    await until("publishing goes on", () => run.acked.length > before + 20, 20_000);
    await run.finish();
    // One reconnect: the client's own, after the loss; the failed renewal made none.
    expect(run.statuses.filter((s) => s === "reconnect")).toHaveLength(1);
    expect(run.statuses).toContain("disconnect");
    // Every publish acknowledged was read; those in flight at the loss failed and are the only failures.
    expect(run.read).toEqual(run.acked);
  });
});
