import { writeFileSync } from "node:fs";
import { pino } from "pino";
import { openLogSource } from "../agents/replay/logSource.js";
import { decodeHeartbeatEntries, decodeLogEntries } from "../events/entries.js";
import { startKubeL2Cluster } from "../lab/kubeCluster.js";
import { l2Manifests } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import type { Prober } from "../lab/prober.js";
import { waitFor } from "../lab/run.js";
import { nodeRole } from "../lab/topology.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../projections/settings.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

// token-renewal: what a speaker's login at token renewal costs (auth callout, docs/design.md). Its NATS user expires
// with its Pod's token, so it logs in again when the kubelet writes the renewed token (at 80 % of its life): on a second
// connection while the first keeps serving, then everything moves over (src/adapters/nats/swappableConnection.ts). In
// the Kubernetes lab (3 nodes, 2 controllers answering the callout with TokenReviews at the real API server), every
// speaker's token is renewed `renewals` times, staggered across nodes, as a kubelet would with tokens of `lifeS`
// seconds (default 30: the renewal at 24 s leaves more than the speakers' 5 s file poll before the old user expires;
// TokenRequest's minimum is 10 minutes, so these are signed with the API server's own key and pass the same
// TokenReview). Counted over the window: each move and its login's length, each reconnect (a break: the link lost and
// made again) and its length, each node's longest heartbeat gap (stream time, against the suspect timeout), fencing
// episodes, /readyz failures (polled every 50 ms), claims (the VIP moving) and failed requests to the VIP.

const VIP = "198.18.0.201";
const NODES = 3;
const MOVED = "moved to a new NATS connection made with the changed files";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
type Line = Record<string, unknown>;
const parse = (line: string): Line | null => {
  try {
    return JSON.parse(line) as Line;
  } catch {
    return null;
  }
};

export async function tokenRenewalBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  // --cert: the same window with static users, the client certificate rotated instead (every agent reconnects at
  // once, no callout and no TokenReview): how much of the cost is the login through the callout.
  const cert = args.includes("--cert");
  // --control: the same window with nothing renewed or rotated: what the machine's load alone does to the figures.
  const control = args.includes("--control");
  const [renewals = 3, lifeS = 30] = args.filter((a) => !a.startsWith("--")).map(Number);
  const nodes = Array.from({ length: NODES }, (_, i) => nodeRole(i + 1));
  const k = await startKubeL2Cluster({ nodes: NODES, vips: [VIP], log: pino({ level: "warn" }), natsAuthMode: cert ? "static" : "callout" });
  try {
    const applied = await k.api.kubectl(["apply", "-f", "-"], { input: l2Manifests([VIP]) });
    if (applied.code !== 0) throw new Error(applied.stderr);
    const tokens = k.speakerTokens;
    if (!tokens && !cert) throw new Error("the Kubernetes lab runs no auth callout");
    const renew = async (node: string): Promise<void> => (tokens ? tokens.renew(node, lifeS) : k.cluster.lab.natsKit.reissueClientCert());
    const lines = (node: number, msg: string): Line[] =>
      k.cluster.speakerLines.filter((l) => l.node === node).map((l) => parse(l.line)).filter((l): l is Line => l !== null && l["msg"] === msg);
    for (let i = 1; i <= NODES; i++) await waitFor(`node${i} logged in`, () => (lines(i, "connected to NATS").length > 0 ? true : undefined), 60_000, 200);
    await k.cluster.waitForOwner(VIP, 30_000);
    // Short tokens first, so that the users the server holds expire: a speaker that did not log in again would be cut off.
    if (control) {
      // The TokenRequest tokens of an hour stay: nothing expires in the window.
    } else if (tokens) for (const node of nodes) await tokens.renew(node, lifeS);
    else await renew("all");
    if (!control) for (let i = 1; i <= NODES; i++) await waitFor(`node${i} logged in with its short token or new certificate`, () => (lines(i, MOVED).length > 0 ? true : undefined), 30_000, 200);
    await sleep(3_000);
    const before = nodes.map((_, i) => ({ moves: lines(i + 1, MOVED).length, reconnects: lines(i + 1, "reconnected to NATS").length, fenced: lines(i + 1, "fenced: stopped answering").length }));
    const readyz: Prober[] = nodes.map((_, i) => k.cluster.lab.startProber({ url: `http://${k.cluster.lab.nodeIp(i + 1)}:7472/readyz`, intervalMs: 50, timeoutMs: 1_000 }));
    const vip = k.cluster.lab.startProber({ url: `http://${VIP}/`, intervalMs: 50, timeoutMs: 1_000 });
    const start = Date.now();
    try {
      // The kubelet's renewals at 80 % of each token's life, staggered across nodes as Pods started at different times.
      for (let round = 0; round < renewals; round++) {
        if (control) {
          await sleep(lifeS * 800);
          continue;
        }
        if (cert) {
          await renew("all");
          await sleep(lifeS * 800);
          continue;
        }
        // The last round's tokens live an hour: the window ends before a kubelet would renew them again, and a user
        // expiring in it would count against the renewal the kubelet had not yet made.
        const life = round === renewals - 1 ? 3_600 : lifeS;
        for (const node of nodes) {
          await (tokens ? tokens.renew(node, life) : renew(node));
          await sleep((lifeS * 800) / NODES);
        }
      }
      await sleep(7_000); // the last renewal read (the speakers poll their files every 5 s) and logged in with
    } finally {
      await Promise.all([...readyz.map((p) => p.stop()), vip.stop()]);
    }
    const end = Date.now();

    const source = await openLogSource({ kind: "nats", servers: await k.cluster.hostNatsUrls(), security: k.cluster.lab.natsClient(), name: "bench-token-renewal", timeoutMs: 10_000 });
    const beats = new Map<string, number[]>();
    const events: { type: string; node: unknown }[] = [];
    try {
      await source.read("HEARTBEATS", (batch) => {
        for (const { meta, event } of decodeHeartbeatEntries(batch, () => undefined)) {
          if (event && meta.time >= start && meta.time <= end) beats.set(event.data.node, [...(beats.get(event.data.node) ?? []), meta.time]);
        }
      });
      await source.read("EVENTS", (batch) => {
        for (const { meta, event } of decodeLogEntries(batch, () => undefined)) {
          if (event && meta.time >= start) events.push({ type: event.type, node: (event.data as { node?: unknown }).node });
        }
      });
    } finally {
      await source.close();
    }
    const gaps = nodes.map((node) => {
      const t = beats.get(node) ?? [];
      return t.slice(1).reduce((m, x, i) => Math.max(m, x - (t[i] ?? x)), 0);
    });
    const since = <K extends keyof (typeof before)[number]>(i: number, msg: string, key: K): Line[] => lines(i + 1, msg).slice(before[i]?.[key]);
    const moves = nodes.flatMap((_, i) => since(i, MOVED, "moves"));
    const logins = moves.map((l) => Number(l["loginMs"] ?? 0)).sort((a, b) => a - b);
    const downs = nodes.flatMap((_, i) => since(i, "reconnected to NATS", "reconnects").map((l) => Number(l["downMs"] ?? 0))).sort((a, b) => a - b);
    const fencedLines = nodes.reduce((n, _, i) => n + since(i, "fenced: stopped answering", "fenced").length, 0);
    // A fencing that began while the node was logging in again or reconnecting, or within 1 s after (its own log's
    // times), is the renewal's; the others are the machine's (compare a --control run).
    const byRenewal = nodes.reduce((n, _, i) => {
      const window = (l: Line, ms: number): readonly [number, number] => [Number(l["time"] ?? 0) - ms - 50, Number(l["time"] ?? 0) + 1_000];
      const windows = [
        ...since(i, MOVED, "moves").map((l) => window(l, Number(l["loginMs"] ?? 0))),
        ...since(i, "reconnected to NATS", "reconnects").map((l) => window(l, Number(l["downMs"] ?? 0))),
      ];
      const fences = since(i, "fenced: stopped answering", "fenced").map((l) => Number(l["time"] ?? 0));
      return n + fences.filter((t) => windows.some(([a, b]) => t >= a && t <= b)).length;
    }, 0);
    // For a look at what happened around a fencing or a claim: every speaker's log of the window.
    const dump = process.env["VIPMESH_BENCH_SPEAKER_LOG"];
    if (dump) writeFileSync(dump, k.cluster.speakerLines.map((l) => `${l.node} ${l.line}`).join("\n"));
    return {
      name: "token-renewal",
      figures: {
        renewals: control ? 0 : cert ? renewals : renewals * NODES,
        moves: moves.length,
        login_ms_p50: logins.length === 0 ? 0 : percentile(logins, 50),
        login_ms_max: logins[logins.length - 1] ?? 0,
        reconnects: downs.length,
        reconnect_down_ms_p50: downs.length === 0 ? 0 : percentile(downs, 50),
        reconnect_down_ms_max: downs[downs.length - 1] ?? 0,
        heartbeat_gap_ms_max: Math.round(Math.max(...gaps)),
        heartbeat_gaps_over_suspect: gaps.filter((g) => g >= DEFAULT_MEMBERSHIP_SETTINGS.suspectAfterMs).length,
        fence_entered: events.filter((e) => e.type === "FenceEntered").length,
        fenced_log_lines: fencedLines,
        fenced_at_a_renewal: byRenewal,
        readyz_failed: readyz.reduce((n, p) => n + p.results.filter((r) => !r.ok).length, 0),
        readyz_probes: readyz.reduce((n, p) => n + p.results.length, 0),
        vip_claims: events.filter((e) => e.type === "VipClaimed").length,
        vip_failed: vip.results.filter((r) => !r.ok).length,
        vip_probes: vip.results.length,
      },
      settings: { nodes: NODES, controllers: 2, rotated: control ? "nothing (control run, auth callout)" : cert ? "the client certificate (static users), every agent at once" : "each speaker's token (auth callout)", token_life_s: lifeS, renewed_at: "80 %", window_s: Math.round((end - start) / 1000), suspect_after_ms: DEFAULT_MEMBERSHIP_SETTINGS.suspectAfterMs, heartbeat_gap: "per node, stream time; the figure is the worst node" },
      machine: machineDescription(),
    };
  } finally {
    await k.destroy();
  }
}
