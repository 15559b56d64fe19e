import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { until } from "../support/allocatorProcs.js";
import { jsonLines, repeatedTopLevelKeys, runCli, stopCli, type CliProc } from "../support/cliProcs.js";

// `vipmesh controller` (ingest + status writer + allocator in one process) against a real kube-apiserver and a real
// nats-server: its parts log under one identity without repeating a key, an unreachable NATS is reported once by the
// process's one log host, and the process stops on SIGTERM. 10 s is a correctness bound (it exits at all), not a performance target.

let api: KubeApiServer;
let nats: NatsServer;
const procs: CliProc[] = [];

beforeAll(async () => {
  [api, nats] = await Promise.all([startKubeApiServer(), startNatsServer()]);
});

afterAll(async () => {
  for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
  await Promise.all([api?.stop(), nats?.stop()]);
});

function controller(natsUrl: string, natsAuth: string[] = []): CliProc {
  const p = runCli(["controller", "--nats", natsUrl, ...natsAuth, "--kubeconfig", api.kubeconfig, "--id", "c1"]);
  procs.push(p);
  return p;
}

const has = (p: CliProc, pred: (l: Record<string, unknown>) => boolean): boolean => jsonLines(p.out).some(pred);

async function expectPromptExit(p: CliProc): Promise<void> {
  const hung = setTimeout(() => p.child.kill("SIGKILL"), 10_000);
  const exit = await stopCli(p);
  clearTimeout(hung);
  expect(exit.ms).toBeLessThan(10_000);
  expect(exit.code).toBe(0);
}

describe("vipmesh controller", () => {
  it("logs each part under one identity, no key twice in a line, and stops on SIGTERM", async () => {
    const p = controller(nats.url, nats.cliArgs("controller"));
    await until("ingest, status writer and allocator started", () =>
      has(p, (l) => l["msg"] === "allocator started") && has(p, (l) => l["msg"] === "status writer started") && has(p, (l) => l["part"] === "ingest"), 30_000);
    await expectPromptExit(p);
    const lines = jsonLines(p.out);
    expect(lines.every((l) => l["agent"] === "controller" && l["id"] === "c1")).toBe(true);
    expect(p.out.filter((l) => l.startsWith("{")).flatMap((l) => repeatedTopLevelKeys(l).map((k) => `${k} in ${l}`))).toEqual([]);
  });

  it("says that NATS cannot be reached from its one connection (not once per part), and stops on SIGTERM before it ever connected", async () => {
    const down = await startNatsServer();
    await down.stop(); // its port is free now
    const p = controller(down.url);
    const unreachable = (l: Record<string, unknown>): boolean => l["msg"] === "cannot reach NATS; retrying every 2 s" && l["level"] === 40;
    await until("the log host reports", () => jsonLines(p.out).some(unreachable), 20_000);
    // The parts are reactors on the process's log host (issue 12): none opens a connection of its own.
    expect([...new Set(jsonLines(p.out).filter(unreachable).map((l) => l["part"] ?? "log host"))]).toEqual(["log host"]);
    await expectPromptExit(p);
  });
});
