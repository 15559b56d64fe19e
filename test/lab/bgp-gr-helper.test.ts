// Graceful restart, helper side, against a real FRR bgpd with `bgp graceful-restart`: when the router restarts (bgpd
// killed and started again, so its session drops without a NOTIFICATION and comes back with FRR's R bit set), the
// speaker reconnects and re-sends its whole table followed by End-of-RIB, and FRR holds the route again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BgpTcpPeer } from "../../src/adapters/bgp/tcpPeer.js";
import { desiredRoutes } from "../../src/protocols/bgp/adjRibOut.js";
import type { SessionAction } from "../../src/protocols/bgp/sessionTypes.js";
import { deriveTimers } from "../../src/protocols/bgp/timers.js";
import { endOfRibAfi } from "../../src/protocols/bgp/update.js";
import { FrrRouter, eventually } from "../support/frr.js";

const LOCAL_ASN = 64512;
const ROUTER_ASN = 64513;
const VIP = "198.18.203.10/32";

type Summary = { ipv4Unicast?: { peers?: Record<string, { state: string; pfxRcd?: number }> } };
type GrInfo = { gracefulRestartInfo?: { ipv4Unicast?: { endOfRibStatus?: { endOfRibRecv?: boolean } } } };

describe("graceful restart helper: FRR restarts", () => {
  let router: FrrRouter;
  let speaker: BgpTcpPeer;
  const actions: SessionAction[] = [];
  const peer = () => router.vtysh<Summary>("show bgp summary json").ipv4Unicast?.peers?.[router.link.hostV4];

  beforeAll(() => {
    router = FrrRouter.start({ asn: ROUTER_ASN, gracefulRestart: true, neighbors: (link) => [{ address: link.hostV4, asn: LOCAL_ASN, timers: [3, 9] }] });
    speaker = new BgpTcpPeer({
      peerAddress: router.link.routerV4,
      sourceAddress: router.link.hostV4,
      config: {
        session: {
          localAsn: LOCAL_ASN, peerAsn: ROUTER_ASN, routerId: router.link.hostV4, timers: deriveTimers({ holdTimeMs: 9_000, connectTimeMs: 1_000 }),
          connectTimeoutMs: 2_000, families: { ipv4: true, ipv6: false }, stableAfterMs: 30_000,
          gracefulRestart: { restartTime: 120, restarting: false, forwarding: false },
        },
      },
      routes: desiredRoutes([[VIP, {}]]),
      onAction: (a) => void actions.push(a),
    });
    speaker.start();
  });

  afterAll(async () => {
    await speaker?.stop();
    router?.stop();
  });

  it("re-sends the whole table and End-of-RIB to the restarted router", async () => {
    await eventually("Established with the route at FRR", () => (peer()?.state === "Established" && peer()?.pfxRcd === 1 ? true : undefined), 20_000);
    const before = actions.length;
    await router.restartBgpd();
    await eventually("Established again", () => (actions.slice(before).some((a) => a.type === "established") ? true : undefined), 30_000);
    const after = actions.slice(before);
    expect(after.find((a) => a.type === "down")).toMatchObject({ type: "down", wasEstablished: true });
    // FRR came back restarting: its Graceful Restart capability has the R bit.
    expect(speaker.state.session.negotiated?.gracefulRestart?.restarting).toBe(true);
    const sent = after.slice(after.findIndex((a) => a.type === "established")).flatMap((a) => (a.type === "send" && a.message.type === "update" ? [a.message] : []));
    expect(sent.flatMap((u) => u.nlri)).toEqual([VIP]);
    expect(endOfRibAfi(sent[sent.length - 1]!)).toBe(1);
    await eventually("the route at the restarted FRR", () => (peer()?.pfxRcd === 1 ? true : undefined), 10_000);
    const gr = router.vtysh<Record<string, GrInfo>>(`show bgp neighbors ${router.link.hostV4} json`)[router.link.hostV4]?.gracefulRestartInfo;
    expect(gr?.ipv4Unicast?.endOfRibStatus?.endOfRibRecv).toBe(true);
  }, 60_000);
});
