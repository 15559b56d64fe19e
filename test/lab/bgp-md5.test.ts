// TCP MD5 (RFC 2385) and TTL through the native socket addon (native/bgpsock.c) against a real FRR bgpd whose
// neighbor has a password: the session comes up with the right key and never with a wrong one or none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BgpTcpPeer } from "../../src/adapters/bgp/tcpPeer.js";
import { desiredRoutes } from "../../src/protocols/bgp/adjRibOut.js";
import { deriveTimers } from "../../src/protocols/bgp/timers.js";
import { FrrRouter, eventually } from "../support/frr.js";

const LOCAL_ASN = 64512;
const ROUTER_ASN = 64513;
const PASSWORD = "vipmesh-md5-key";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Summary = { ipv4Unicast?: { peers?: Record<string, { state: string; pfxRcd?: number }> } };

describe("TCP MD5 and TTL against FRR bgpd", () => {
  let router: FrrRouter;
  const speakers: BgpTcpPeer[] = [];
  const state = () => router.vtysh<Summary>("show bgp summary json").ipv4Unicast?.peers?.[router.link.hostV4];

  const speaker = (socketOptions: { password: string | null; ttl: number | null; vrf: null }): BgpTcpPeer => {
    const s = new BgpTcpPeer({
      peerAddress: router.link.routerV4,
      sourceAddress: router.link.hostV4,
      socketOptions,
      config: {
        session: {
          localAsn: LOCAL_ASN, peerAsn: ROUTER_ASN, routerId: router.link.hostV4, timers: deriveTimers({ holdTimeMs: 9_000, connectTimeMs: 1_000 }),
          connectTimeoutMs: 2_000, families: { ipv4: true, ipv6: false }, stableAfterMs: 30_000,
        },
      },
      routes: desiredRoutes([["198.18.201.10/32", {}]]),
    });
    speakers.push(s);
    s.start();
    return s;
  };

  beforeAll(() => {
    router = FrrRouter.start({ asn: ROUTER_ASN, neighbors: (link) => [{ address: link.hostV4, asn: LOCAL_ASN, timers: [3, 9], password: PASSWORD }] });
  });

  afterAll(async () => {
    await Promise.all(speakers.map((s) => s.stop()));
    router?.stop();
  });

  it("stays down with a wrong password, and without one", async () => {
    for (const password of ["not-the-key", null]) {
      const s = speaker({ password, ttl: null, vrf: null });
      await sleep(4_000);
      expect(s.state.session.counters.establishedCount).toBe(0);
      expect(state()?.state).not.toBe("Established");
      await s.stop();
    }
  }, 20_000);

  it("comes up with the right password (set before the SYN), TTL 255, and FRR holds the route", async () => {
    const s = speaker({ password: PASSWORD, ttl: 255, vrf: null });
    await eventually("Established with MD5", () => (state()?.state === "Established" ? true : undefined), 20_000);
    await eventually("the route at FRR", () => (state()?.pfxRcd === 1 ? true : undefined));
    expect(s.state.session.state).toBe("established");
  }, 30_000);
});
