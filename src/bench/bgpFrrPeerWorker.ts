// bgpPeerWorker.ts with the FRR backend (--bgp-backend frr): the same lines and signals, but the routes go to FRR's
// bgpd beside this process through the FRR announcer (one BGPPeer plan, its difference applied with vtysh), so the
// benchmark times what an FRR-mode speaker does for one changed VIP. The "sent" time is when the plan was handed over.
import type { BgpPeerConfig } from "../config/types.js";
import { createFrrBgpAnnouncer } from "../agents/speaker/frr/frrAnnouncer.js";
import type { BgpPlan } from "../projections/bgp/bgpPlan.js";
import type { RouteAttributes } from "../protocols/bgp/adjRibOut.js";

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fallback) : fallback;
};
const out = (v: object): void => void process.stdout.write(`${JSON.stringify(v)}\n`);
const quiet = { debug: () => undefined, info: () => undefined, warn: (f: object, m: string) => out({ event: "warn", m, ...f }), error: (f: object, m: string) => out({ event: "error", m, ...f }) };

// bgpPeerWorker.ts's prefixes (importing it would start its session).
const benchPrefix = (i: number): string => `198.19.${Math.floor(i / 256)}.${i % 256}/32`;
const ATTRS: RouteAttributes = { communities: ["64512:100"] };
const asn = Number(arg("asn", "64512"));
const routerId = arg("router-id", "198.18.0.11");
const peer: BgpPeerConfig = {
  name: "router", myASN: asn, peerASN: asn, dynamicASN: null, peerAddress: arg("peer", "198.18.0.1"), sourceAddress: null, peerPort: 179, routerID: null,
  holdTimeMs: 9_000, keepaliveTimeMs: null, connectTimeMs: 1_000, password: null, ebgpMultiHop: false, nodeSelectors: [], enableGracefulRestart: false,
  dualStackAddressFamily: false, vrf: null,
};
const routes = new Map<string, RouteAttributes>(Array.from({ length: Number(arg("routes", "0")) }, (_, i) => [benchPrefix(i), ATTRS]));
const plan = (): BgpPlan => new Map([["router", { peer, routes: new Map(routes) }]]);

const announcer = createFrrBgpAnnouncer({ node: `bench-${routerId}`, defaults: { routerId, restartTimeS: 120 }, shutdownWaitMs: 0, log: quiet, ...(arg("frr-dir", "") === "" ? {} : { frrDir: arg("frr-dir", "") }) });
announcer.begin(null, { incarnation: 1, now: 0 });
announcer.update(plan());

let state = "idle";
const watch = setInterval(() => {
  const s = announcer.stats?.().peers["router"];
  if (s === undefined || s.state === state) return;
  if (s.state === "established") out({ event: "established", t: Date.now() });
  else if (state === "established") out({ event: "down", t: Date.now(), reason: s.state });
  state = s.state;
}, 50);

let changes = 0;
const changePrefix = (n: number): string => `198.19.255.${n % 250}/32`;
const sent = (prefix: string): void => out({ event: "sent", prefix, t: Date.now() });
process.on("SIGUSR1", () => {
  const prefix = changePrefix(changes++);
  routes.set(prefix, ATTRS);
  sent(prefix);
  announcer.update(plan());
});
process.on("SIGUSR2", () => {
  const prefix = changePrefix(changes - 1);
  routes.delete(prefix);
  sent(prefix);
  announcer.update(plan());
});
process.on("SIGHUP", () => out({ event: "stats", ...announcer.stats?.().peers["router"] }));
process.on("SIGTERM", () => {
  clearInterval(watch);
  void announcer.close().then(() => process.exit(0));
});
