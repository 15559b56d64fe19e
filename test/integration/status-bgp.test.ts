import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_STREAM_SETTINGS } from "../../src/adapters/nats/streams.js";
import { createBgpAnnouncer } from "../../src/agents/speaker/bgpAnnouncer.js";
import { fileConfigSource } from "../../src/agents/speaker/configSource.js";
import { runSpeaker } from "../../src/agents/speaker/speaker.js";
import { statusCommand } from "../../src/cli/statusCommand.js";
import { DEFAULT_RELEASE_GUARD } from "../../src/projections/ipam/releaseGuard.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { DEFAULT_FENCE_SETTINGS } from "../../src/protocols/fence/fenceMachine.js";
import { parseProbeKeys } from "../../src/protocols/fence/probeKeys.js";
import { startNatsServer, type NatsServer } from "../../src/testing/localNatsServer.js";
import { memoryLogger } from "../support/memoryLog.js";
import { RecordingAnnouncer } from "../support/recordingAnnouncer.js";

// A speaker with a native BGP announcer against a real nats-server, its BGPPeer a loopback listener that closes every
// connection soon after the OPEN: it puts the flapping session's state on the log (BgpSessionsChanged, coalesced: at most one
// report a second, not one per state), and
// `vipmesh status` (in process, then the compiled CLI: npm run build) shows the session and exits 1 for it.

const repo = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);
const config = (port: number): string => `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bgp, namespace: metallb-system }
spec: { addresses: ["127.0.0.200-127.0.0.210"] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: 64512, peerASN: 64500, peerAddress: "127.0.0.1", peerPort: ${port}, connectTime: 1s }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: bgp, namespace: metallb-system }
`;
const settings = { membership: DEFAULT_MEMBERSHIP_SETTINGS, handoverBoundMs: 250, poolWarnPercent: 90 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

let nats: NatsServer;
let configFile: string;
let router: Server;
let accepted = 0;

beforeAll(async () => {
  nats = await startNatsServer();
  // A "router" that accepts each connection and closes it 0.5 s after the speaker's OPEN: the session flaps between
  // openSent and active every second or so.
  router = createServer((socket) => {
    accepted++;
    socket.once("data", () => setTimeout(() => socket.destroy(), 500));
    socket.on("error", () => undefined);
  });
  // BGPPeer.peerPort is at most 16384 (MetalLB's CRD), so not an ephemeral port: the first free one from a random start.
  for (let port = 10_000 + Math.floor(Math.random() * 6_000); ; port++) {
    const listening = await new Promise<boolean>((resolve) => {
      router.once("error", () => resolve(false));
      router.listen(port, "127.0.0.1", () => resolve(true));
    });
    if (listening) break;
  }
  configFile = join(mkdtempSync(join(tmpdir(), "vipmesh-status-")), "config.yaml");
  writeFileSync(configFile, config((router.address() as AddressInfo).port));
});

afterAll(async () => {
  await new Promise((resolve) => router?.close(resolve));
  await nats?.stop();
});

describe("BGP sessions on the log and in vipmesh status (real nats-server)", () => {
  it("a flapping session is reported, coalesced, and makes status exit 1", async () => {
    const log = memoryLogger();
    const bgp = createBgpAnnouncer({ defaults: { routerId: "127.0.0.1", restartTimeS: 120 }, shutdownWaitMs: 0, log: log.log });
    const stop = new AbortController();
    const speaker = runSpeaker({
      node: "node1", natsServers: [nats.url], natsSecurity: nats.client(), configSource: fileConfigSource(configFile), membership: DEFAULT_MEMBERSHIP_SETTINGS,
      streams: DEFAULT_STREAM_SETTINGS, excludeInterfaces: [], version: "test", handoverTimeoutMs: 200, snapshotEveryEvents: 1_000, configPollMs: 200,
      releaseGuard: DEFAULT_RELEASE_GUARD, fence: DEFAULT_FENCE_SETTINGS, probePort: 0, probeKeys: () => parseProbeKeys(`1 ${Buffer.alloc(32, 5).toString("base64")}`, "test"),
      onSigterm: "handover", restartGraceMs: 10_000, announcer: new RecordingAnnouncer(), bgp, log: log.log,
    }, stop.signal);
    try {
      // The session is dropped at each OPEN and retried every second; reports come at most once per 1 s window.
      await sleep(6_000);
      expect(accepted).toBeGreaterThanOrEqual(3);
      const { status } = await statusCommand({ nats: [nats.url], security: nats.client("reader"), settings });
      const node = status.bgp.find((b) => b.node === "node1");
      expect(node).toMatchObject({ backend: "native", current: true });
      expect(node?.sessions).toHaveLength(1);
      expect(node?.sessions[0]).toMatchObject({ peer: "router", address: "127.0.0.1", peerASN: 64500, prefixesSent: 0 });
      expect(node?.sessions[0]?.state).not.toBe("established");
      expect(status.problems.map((p) => `${p.code} ${p.about}`)).toContain("bgp-session-down node1/router");
      expect(status.nodes.find((n) => n.node === "node1")).toMatchObject({ status: "alive", version: "test" });

      const { rows } = await replayRows();
      const reports = rows.filter((r) => r.kind === "bgp-sessions");
      // ~5 sessions opened and dropped in 6 s: at most one report a second (without the window: 9, openSent and active
      // alternating; with it, a drop undone within the second is not reported at all)
      expect(reports.length).toBeGreaterThanOrEqual(1);
      expect(reports.length).toBeLessThanOrEqual(6);

      // The compiled CLI: exit 1 with the problem in its text.
      const cli = await run(process.execPath, [join(repo, "dist/cli/main.js"), "status", "--nats", nats.url, ...nats.cliArgs("reader")]).then(
        () => ({ code: 0, stdout: "" }),
        (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
      );
      expect(cli.code).toBe(1);
      expect(cli.stdout).toMatch(/node1 +router +127\.0\.0\.1 +64500 +(idle|connect|active) /);
      expect(cli.stdout).toMatch(/bgp-session-down +node1\/router +session to 127\.0\.0\.1 is/);
    } finally {
      stop.abort();
      await speaker;
    }
  });
});

async function replayRows() {
  const { replayCommand } = await import("../../src/cli/replayCommand.js");
  return { rows: await replayCommand({ nats: [nats.url], security: nats.client("reader"), vip: null, json: false }, () => undefined) };
}
