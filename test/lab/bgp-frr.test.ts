// The native BGP speaker against a real FRR bgpd (Debian frr 8.x) in a network namespace: the session comes up,
// FRR holds our IPv4 and IPv6 VIPs with their communities, changes arrive on the live session without a reset,
// a frozen router is dropped by our receive-side hold timer, and a shutdown withdraws and sends a Cease.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BgpTcpPeer } from "../../src/adapters/bgp/tcpPeer.js";
import { desiredRoutes, withGracefulShutdown } from "../../src/protocols/bgp/adjRibOut.js";
import type { SessionAction } from "../../src/protocols/bgp/sessionTypes.js";
import { deriveTimers } from "../../src/protocols/bgp/timers.js";
import { FrrRouter, eventually } from "../support/frr.js";

const LOCAL_ASN = 64512;
const ROUTER_ASN = 64513;
const VIP1 = "198.18.200.10/32";
const VIP2 = "198.18.200.11/32";
const VIP3 = "198.18.200.12/32";
const VIP6 = "2001:db8:ffff::10/128";

interface Summary {
  ipv4Unicast?: { peers?: Record<string, { state: string; pfxRcd?: number; connectionsEstablished: number; connectionsDropped: number; peerUptimeEstablishedEpoch: number }> };
  ipv6Unicast?: { peers?: Record<string, { state: string; pfxRcd?: number }> };
}
interface RouteJson {
  paths?: Array<{ aspath?: { string: string }; community?: { string: string }; largeCommunity?: { string: string }; nexthops?: Array<{ ip: string }> }>;
}

describe("BGP speaker against FRR bgpd", () => {
  let router: FrrRouter;
  let speaker: BgpTcpPeer;
  const events: SessionAction[] = [];

  const peerSummary = () => router.vtysh<Summary>("show bgp summary json").ipv4Unicast?.peers?.[router.link.hostV4];
  const v6Summary = () => router.vtysh<Summary>("show bgp summary json").ipv6Unicast?.peers?.[router.link.hostV4];
  const route = (family: "ipv4" | "ipv6", prefix: string) => router.vtysh<RouteJson>(`show bgp ${family} unicast ${prefix} json`).paths?.[0];
  const established = () => (peerSummary()?.state === "Established" ? true : undefined);
  const received = (n: number) => () => (peerSummary()?.pfxRcd === n ? true : undefined);

  beforeAll(() => {
    router = FrrRouter.start({
      asn: ROUTER_ASN,
      networks: ["198.18.250.0/24", "2001:db8:fffe::/48"],
      neighbors: (link) => [{ address: link.hostV4, asn: LOCAL_ASN, timers: [3, 9] }],
    });
    speaker = new BgpTcpPeer({
      peerAddress: router.link.routerV4,
      sourceAddress: router.link.hostV4,
      config: {
        session: {
          localAsn: LOCAL_ASN,
          peerAsn: ROUTER_ASN,
          routerId: router.link.hostV4,
          timers: deriveTimers({ holdTimeMs: 9_000 }),
          connectTimeoutMs: 5_000,
          families: { ipv4: true, ipv6: true },
          stableAfterMs: 30_000,
        },
        nextHops: { ipv6: router.link.hostV6 },
      },
      routes: desiredRoutes([
        [VIP1, { communities: ["65000:100"], largeCommunities: ["64512:1:2"] }],
        [VIP2, { communities: ["65000:100"], largeCommunities: ["64512:1:2"] }],
        [VIP6, { communities: ["65000:600"] }],
      ]),
      onAction: (a) => {
        if (a.type === "established" || a.type === "down") events.push(a);
      },
    });
    speaker.start();
  });

  afterAll(async () => {
    await speaker?.stop();
    router?.stop();
  });

  it("reaches Established and FRR holds the IPv4 and IPv6 VIPs with communities, large communities and next hops", async () => {
    await eventually("Established", established);
    await eventually("2 IPv4 prefixes at FRR", received(2));
    await eventually("1 IPv6 prefix at FRR", () => (v6Summary()?.pfxRcd === 1 ? true : undefined));
    const p = route("ipv4", VIP1);
    expect(p?.aspath?.string).toBe(String(LOCAL_ASN));
    expect(p?.community?.string).toBe("65000:100");
    expect(p?.largeCommunity?.string).toBe("64512:1:2");
    expect(p?.nexthops?.[0]?.ip).toBe(router.link.hostV4);
    const p6 = route("ipv6", VIP6);
    expect(p6?.nexthops?.[0]?.ip).toBe(router.link.hostV6);
    expect(p6?.community?.string).toBe("65000:600");
  });

  it("counts (and does not store) the routes FRR sends", async () => {
    await eventually("FRR's routes counted", () => (speaker.state.session.counters.prefixesAnnounced >= 2 ? true : undefined));
    expect(JSON.stringify(speaker.state.session)).not.toContain("198.18.250.0");
  });

  it("changes go out as UPDATEs on the live session: add, re-attribute, withdraw, with no session reset", async () => {
    const before = peerSummary();
    speaker.setRoutes(desiredRoutes([
      [VIP1, { communities: ["65000:200"] }],
      [VIP3, { communities: ["65000:100"] }],
      [VIP6, { communities: ["65000:600"] }],
    ]));
    await eventually("VIP3 at FRR, VIP2 gone", () => (route("ipv4", VIP3) !== undefined && route("ipv4", VIP2) === undefined ? true : undefined));
    await eventually("VIP1 re-attributed", () => (route("ipv4", VIP1)?.community?.string === "65000:200" ? true : undefined));
    // FRR's session uptime counts from the same establishment: no reset happened. FRR derives the epoch from its uptime
    // in whole seconds, so the same establishment may read one second apart.
    const after = peerSummary();
    expect(after?.state).toBe("Established");
    expect(Math.abs((after?.peerUptimeEstablishedEpoch ?? 0) - (before?.peerUptimeEstablishedEpoch ?? -9))).toBeLessThanOrEqual(1);
    expect([after?.connectionsEstablished, after?.connectionsDropped]).toEqual([before?.connectionsEstablished, before?.connectionsDropped]);
    expect(events.filter((e) => e.type === "down")).toEqual([]);
  });

  it("drops a frozen router with the receive-side hold timer (9 s), then re-establishes and re-sends everything", async () => {
    const downsBefore = events.filter((e) => e.type === "down").length;
    router.signalBgpd("SIGSTOP");
    const t0 = Date.now();
    try {
      await eventually("hold timer expiry", () => (events.filter((e) => e.type === "down").length > downsBefore ? true : undefined), 15_000);
    } finally {
      router.signalBgpd("SIGCONT");
    }
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeGreaterThan(6_000);
    expect(elapsed).toBeLessThan(12_000);
    expect(events.at(-1)).toMatchObject({ type: "down", reason: { kind: "holdTimerExpired" }, wasEstablished: true });
    await eventually("Established again", established, 30_000);
    await eventually("full table again", received(2), 30_000);
  });

  it("graceful shutdown, withdraw, then Cease: FRR sees the GRACEFUL_SHUTDOWN community, then nothing, then an administrative shutdown", async () => {
    await eventually("Established", established, 30_000);
    speaker.setRoutes(withGracefulShutdown(speaker.state.desired));
    await eventually("gshut community at FRR", () => (route("ipv4", VIP1)?.community?.string.includes("graceful-shutdown") ? true : undefined));
    speaker.setRoutes(new Map());
    await eventually("all withdrawn", received(0));
    await speaker.stop({ message: "vipmesh test shutdown" });
    await eventually("session down at FRR", () => (peerSummary()?.state !== "Established" ? true : undefined));
    const neighbor = router.vtysh<Record<string, { lastResetDueTo?: string; lastNotificationReason?: string }>>(`show bgp neighbors ${router.link.hostV4} json`)[router.link.hostV4];
    expect(`${neighbor?.lastResetDueTo} ${neighbor?.lastNotificationReason}`).toMatch(/Admin/i);
  });
});
