// One node's BGP session for the BGP benchmarks, run inside a lab node namespace: a BgpTcpPeer to the lab router
// carrying `--routes` /32s from 198.19.0.0/16. Prints JSON lines (established, down, sent, stats). Signals drive it:
// SIGUSR1 adds the next change prefix (198.19.255.x/32), SIGUSR2 withdraws it (each printed as {"event":"sent"} with
// the epoch ms setRoutes ran), SIGHUP prints stats, SIGTERM stops the session with a Cease.
import { BgpTcpPeer } from "../adapters/bgp/tcpPeer.js";
import { desiredRoutes, type RouteAttributes } from "../protocols/bgp/adjRibOut.js";
import { deriveTimers } from "../protocols/bgp/timers.js";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const out = (v: object): void => void process.stdout.write(`${JSON.stringify(v)}\n`);

export function benchPrefix(i: number): string {
  return `198.19.${Math.floor(i / 256)}.${i % 256}/32`;
}

const ATTRS: RouteAttributes = { communities: ["64512:100"] };
const routes = new Map<string, RouteAttributes>(Array.from({ length: Number(arg("routes", "0")) }, (_, i) => [benchPrefix(i), ATTRS]));
const asn = Number(arg("asn", "64512"));
const peer = new BgpTcpPeer({
  peerAddress: arg("peer", "198.18.0.1"),
  config: {
    session: {
      localAsn: asn, peerAsn: asn, routerId: arg("router-id", "198.18.0.11"), timers: deriveTimers({ holdTimeMs: 9_000, connectTimeMs: 1_000 }),
      connectTimeoutMs: 5_000, families: { ipv4: true, ipv6: false }, stableAfterMs: 30_000,
    },
  },
  routes: desiredRoutes(routes),
  onAction: (a, s) => {
    if (a.type === "established") out({ event: "established", t: Date.now() });
    if (a.type === "down") out({ event: "down", t: Date.now(), reason: a.reason.kind, updatesSent: s.session.counters.updatesSent });
  },
});
const stats = (): void => out({ event: "stats", updatesSent: peer.state.session.counters.updatesSent, established: peer.state.session.counters.establishedCount });

let changes = 0;
const changePrefix = (n: number): string => `198.19.255.${n % 250}/32`;
const sent = (prefix: string): void => out({ event: "sent", prefix, t: Date.now() });
process.on("SIGUSR1", () => {
  const prefix = changePrefix(changes++);
  routes.set(prefix, ATTRS);
  peer.setRoutes(desiredRoutes(routes));
  sent(prefix);
});
process.on("SIGUSR2", () => {
  const prefix = changePrefix(changes - 1);
  routes.delete(prefix);
  peer.setRoutes(desiredRoutes(routes));
  sent(prefix);
});
process.on("SIGHUP", stats);
process.on("SIGTERM", () => void peer.stop().then(() => process.exit(0)));
peer.start();
