import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { initLog } from "../../src/adapters/nats/logInit.js";
import { DEFAULT_STREAM_SETTINGS, eventsStreamConfig } from "../../src/adapters/nats/streams.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { until } from "../support/allocatorProcs.js";
import { jsonLines, repeatedTopLevelKeys, runCli, stopCli, type CliProc } from "../support/cliProcs.js";

// The compiled CLI against a real nats-server that is not there yet, goes away mid-run or during the handover, and
// a URL where nothing listens: every command says so (URL, error, retry period) and stops promptly on SIGTERM.
// 10 s is a correctness bound (the process exits at all), not a performance target.

const EXIT_BOUND_MS = 10_000;
const procs: CliProc[] = [];
const servers: NatsServer[] = [];

async function freeLoopbackUrl(): Promise<string> {
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a ? a.port : 0));
    });
  });
  return `nats://127.0.0.1:${port}`;
}

async function natsServer(opts: { initLog?: boolean } = {}): Promise<NatsServer> {
  const s = await startNatsServer({ users: ["speaker-n1"], ...opts });
  servers.push(s);
  return s;
}

function cli(...args: string[]): CliProc {
  const p = runCli(args);
  procs.push(p);
  return p;
}

/** A running server's URL and credentials for `user`, or only a URL where nothing listens. */
const natsArgs = (nats: string | NatsServer, user: string): string[] => (typeof nats === "string" ? ["--nats", nats] : ["--nats", nats.url, ...nats.cliArgs(user)]);
const speaker = (nats: string | NatsServer, ...extra: string[]): CliProc => cli("speaker", "--node", "n1", ...natsArgs(nats, "speaker-n1"), "--probe-port", "0", "--insecure-probes", ...extra); // probes are not under test here
const allocator = (nats: string | NatsServer): CliProc => cli("allocator", ...natsArgs(nats, "allocator"), "--id", "a1");
const logged = (p: CliProc, msg: string): Record<string, unknown>[] => jsonLines(p.out).filter((l) => l["msg"] === msg);
const waitLogged = (p: CliProc, msg: string, ms = 20_000): Promise<void> => until(`"${msg}"`, () => logged(p, msg).length > 0, ms);

const LEFT_OPEN = "stopped, but something is still open; exiting";

/**
 * Stops `p` with SIGTERM and expects a clean exit within the bound (SIGKILL after it, so a hang fails, not stalls),
 * with nothing left open that the command had to cut off, unless `leftOpen` says the case expects it.
 */
async function expectPromptExit(p: CliProc, leftOpen = false): Promise<void> {
  const hung = setTimeout(() => p.child.kill("SIGKILL"), EXIT_BOUND_MS);
  const exit = await stopCli(p);
  clearTimeout(hung);
  expect(exit.ms, `exited ${exit.ms} ms after SIGTERM`).toBeLessThan(EXIT_BOUND_MS);
  expect(exit.code).toBe(0);
  expect(logged(p, LEFT_OPEN).length > 0).toBe(leftOpen);
}

function expectNoRepeatedKeys(p: CliProc): void {
  const repeated = p.out.filter((l) => l.startsWith("{")).flatMap((l) => repeatedTopLevelKeys(l).map((k) => `${k} in ${l}`));
  expect(repeated).toEqual([]);
}


afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all(servers.map((s) => s.stop()));
});

describe("NATS unreachable", () => {
  it("speaker: says which URL it cannot reach and why, once and then every 10 s, says when it connects, and stops on SIGTERM", async () => {
    const server = await natsServer();
    await server.kill(); // the port stays free until restart() listens on it again
    const p = speaker(server);
    await waitLogged(p, "cannot reach NATS; retrying every 2 s");
    const [first] = logged(p, "cannot reach NATS; retrying every 2 s");
    expect(first?.["level"]).toBe(40);
    expect(first?.["servers"]).toEqual([server.url]);
    expect(String(first?.["err"])).toMatch(/ECONNREFUSED|connection refused/);
    await until("a second report, 10 s after the first", () => logged(p, "cannot reach NATS; retrying every 2 s").length >= 2, 20_000);
    const reports = logged(p, "cannot reach NATS; retrying every 2 s");
    expect(reports).toHaveLength(2);
    expect(Number(reports[1]?.["sinceMs"])).toBeGreaterThanOrEqual(10_000);
    expect(Number(reports[1]?.["attempts"])).toBeGreaterThan(4); // attempts go on between the reports
    await server.restart();
    await waitLogged(p, "connected to NATS");
    expect(logged(p, "connected to NATS")[0]?.["server"]).toBe(server.url.replace("nats://", ""));
    await waitLogged(p, "speaker started");
    await expectPromptExit(p);
    expectNoRepeatedKeys(p);
  });

  it("speaker and allocator stop promptly on SIGTERM before they ever reached NATS", async () => {
    const url = await freeLoopbackUrl();
    const s = speaker(url);
    const a = allocator(url);
    await Promise.all([waitLogged(s, "cannot reach NATS; retrying every 2 s"), waitLogged(a, "cannot reach NATS; retrying every 2 s")]);
    await Promise.all([expectPromptExit(s), expectPromptExit(a)]);
    expect(logged(s, "stopped before connecting to NATS")).toHaveLength(1);
    expect(logged(a, "stopped before connecting to NATS")).toHaveLength(1);
  });

  it("a speaker whose NATS accepts but never answers reports the timeout and stops on SIGTERM", async () => {
    // A hung server: the TCP connection is accepted, no INFO ever comes.
    const held: import("node:net").Socket[] = [];
    const hungServer = createServer((sock) => void held.push(sock));
    await new Promise<void>((resolve) => hungServer.listen(0, "127.0.0.1", resolve));
    const address = hungServer.address();
    const url = `nats://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`;
    try {
      const p = speaker(url);
      await waitLogged(p, "cannot reach NATS; retrying every 2 s");
      expect(logged(p, "cannot reach NATS; retrying every 2 s")[0]?.["err"]).toBe("timeout");
      // The NATS client leaves the timed-out attempt's socket open; the speaker says so and exits anyway.
      await expectPromptExit(p, true);
    } finally {
      for (const sock of held) sock.destroy();
      hungServer.close();
    }
  });

  it("replay and ipam-status give up after --timeout with a non-zero exit naming the URL", async () => {
    const url = await freeLoopbackUrl();
    for (const command of ["replay", "ipam-status"]) {
      const p = cli(command, "--nats", url, "--timeout", "2");
      const exit = await p.exited;
      expect(exit.code, command).toBe(2);
      const stderr = p.err.join("\n");
      expect(stderr).toContain(`cannot reach NATS at ${url}`);
      expect(stderr).toMatch(/gave up after [23] s \(NATS_UNREACHABLE\)/);
      expect(stderr).toContain("cannot reach NATS; retrying every 2 s"); // said while it was still trying
    }
  });
});

describe("NATS going away", () => {
  it("a speaker whose NATS died mid-run exits after SIGTERM (no reconnecting client left behind)", async () => {
    const server = await natsServer();
    const p = speaker(server);
    await waitLogged(p, "speaker started");
    await server.kill();
    await waitLogged(p, "lost the connection to NATS; reconnecting (reported every 10 s until it is back)");
    await expectPromptExit(p);
    expect(logged(p, "speaker stopped")).toHaveLength(1);
    expectNoRepeatedKeys(p);
  });

  it("a speaker whose NATS dies as the handover begins still exits", async () => {
    const server = await natsServer();
    const p = speaker(server, "--handover-timeout", "3000");
    await waitLogged(p, "speaker started");
    const exit = expectPromptExit(p);
    await server.kill();
    await exit;
    expect(logged(p, "speaker stopped")).toHaveLength(1);
  });

  it("an allocator says when its NATS is lost and back, and exits after SIGTERM while it is gone", async () => {
    const server = await natsServer();
    const p = allocator(server);
    const lost = "lost the connection to NATS; reconnecting (reported every 10 s until it is back)";
    await waitLogged(p, "allocator started");
    await server.kill();
    await waitLogged(p, lost);
    expect(logged(p, lost)[0]?.["level"]).toBe(40);
    await server.restart();
    await waitLogged(p, "reconnected to NATS");
    await server.kill();
    await until("the second loss reported", () => logged(p, lost).length === 2);
    await expectPromptExit(p);
    expect(logged(p, "allocator stopped")).toHaveLength(1);
    expectNoRepeatedKeys(p);
  });

  it("a second SIGTERM exits at once, while the first one's orderly stop still waits for NATS", async () => {
    const server = await natsServer();
    const p = speaker(server);
    await waitLogged(p, "speaker started");
    await server.kill();
    p.child.kill("SIGTERM");
    await waitLogged(p, "stopping; a second signal exits at once");
    const exit = await stopCli(p);
    expect(exit.code).toBe(143);
    expect(logged(p, "second signal: exiting now")).toHaveLength(1);
    expect(logged(p, "speaker stopped")).toHaveLength(0);
  });
});

describe("messages", () => {
  it("replay against a NATS without vipmesh's streams says which is missing and what creates it, and creates nothing", async () => {
    const server = await natsServer({ initLog: false });
    const p = cli("replay", ...natsArgs(server, "reader"), "--timeout", "5");
    expect((await p.exited).code).toBe(2);
    const stderr = p.err.join("\n");
    expect(stderr).toContain("this NATS server has no EVENTS stream");
    expect(stderr).toContain("created by `vipmesh log init` (as the NATS admin)");
    expect(stderr).not.toContain("10059");
    const nc = await connectNats({ servers: [server.url], security: server.client(), name: "test", pingIntervalMs: 2_000 });
    const names = await (await jetstreamManager(nc)).streams.names().next();
    await nc.close();
    expect(names).toEqual([]);
  });

  it("a speaker on a NATS without the log waits, saying what creates it, and starts once `vipmesh log init` ran as admin", async () => {
    const server = await natsServer({ initLog: false });
    const p = speaker(server);
    await waitLogged(p, "waiting for the log: run `vipmesh log init` as the NATS admin to create it (agents do not)");
    expect(logged(p, "waiting for the log: run `vipmesh log init` as the NATS admin to create it (agents do not)")[0]?.["missing"]).toEqual(["EVENTS", "HEARTBEATS", "KV_vipmesh_snapshots"]);
    const refused = cli("log", "init", ...natsArgs(server, "speaker-n1"));
    expect((await refused.exited).code).toBe(2);
    expect(refused.err.join("\n")).toMatch(/[Pp]ermissions [Vv]iolation/);
    const init = cli("log", "init", ...natsArgs(server, "admin"));
    expect((await init.exited).code).toBe(0);
    expect(init.out.join("\n")).toContain("log ready");
    await waitLogged(p, "speaker started");
    await expectPromptExit(p);
  });

  it("no key appears twice in a speaker's or an allocator's JSON log lines", async () => {
    const server = await natsServer();
    const s = speaker(server);
    const a = allocator(server);
    await Promise.all([waitLogged(s, "speaker started"), waitLogged(a, "allocator started")]);
    await Promise.all([expectPromptExit(s), expectPromptExit(a)]);
    expect(logged(s, "speaker stopped")[0]?.["node"]).toBe("n1");
    expect(logged(a, "allocator stopped")[0]?.["id"]).toBe("a1");
    expectNoRepeatedKeys(s);
    expectNoRepeatedKeys(a);
  });

  it("--log-level bogus lists the valid levels", async () => {
    const p = cli("speaker", "--node", "n1", "--log-level", "bogus");
    expect((await p.exited).code).not.toBe(0);
    expect(p.err.join("\n")).toContain("Allowed choices are trace, debug, info, warn, error, fatal, silent");
  });

  it("--dead-after 100 names the flags that clash", async () => {
    const p = cli("speaker", "--node", "n1", "--dead-after", "100");
    expect((await p.exited).code).toBe(2);
    const stderr = p.err.join("\n");
    expect(stderr).toContain("--suspect-after (150) must be below --dead-after (100)");
    expect(stderr).not.toContain("suspectAfterMs");
  });

  it("a configuration the stream refuses is reported at warn, never as published", async () => {
    const server = await natsServer({ initLog: false });
    // A real refusal: EVENTS created beforehand with a message size limit (the install step leaves that setting alone).
    const nc = await connectNats({ servers: [server.url], security: server.client(), name: "test", pingIntervalMs: 2_000 });
    await (await jetstreamManager(nc)).streams.add({ ...eventsStreamConfig(DEFAULT_STREAM_SETTINGS), max_msg_size: 512 });
    await initLog(nc, DEFAULT_STREAM_SETTINGS);
    await nc.close();
    const pools = Array.from({ length: 12 }, (_, i) => `kind: IPAddressPool\nmetadata: { name: pool-${i}, namespace: metallb-system }\nspec: { addresses: ["198.18.${40 + i}.0/28"] }`);
    const file = join(mkdtempSync(join(tmpdir(), "vipmesh-cli-")), "config.yaml");
    writeFileSync(file, pools.join("\n---\n"));
    const p = speaker(server, "--config", file);
    await until("a refused publish reported", () => jsonLines(p.out).some((l) => l["level"] === 40 && /not published/.test(String(l["msg"]))), 20_000);
    const refused = jsonLines(p.out).find((l) => l["level"] === 40 && /not published/.test(String(l["msg"])));
    expect(String(refused?.["err"])).toMatch(/maximum|size/i);
    expect(logged(p, "published configuration")).toEqual([]);
    await expectPromptExit(p);
  });
});
