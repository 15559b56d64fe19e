// The L2 announcer over fake links and fake timers: routing by family, burst then refresh, conflicts counted.
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { L2LinkStats } from "../../src/agents/speaker/announcer.js";
import { createLinkAnnouncer } from "../../src/agents/speaker/l2Announcer.js";
import type { LinkEvents, LinkOpener, VipLink } from "../../src/agents/speaker/l2Announcer.js";

const log = pino({ level: "silent" });

class FakeLinks {
  readonly calls: string[] = [];
  readonly events = new Map<string, LinkEvents>();
  failOpen = new Set<string>();
  failAnnounce = false;
  t0 = Date.now();

  opener(protocol: "arp" | "ndp"): LinkOpener {
    return (ifname, events) => {
      const key = `${ifname}/${protocol}`;
      if (this.failOpen.has(key)) throw new Error(`cannot open ${key}`);
      this.calls.push(`open ${key}`);
      this.events.set(key, events);
      const vips = new Set<string>();
      const link: VipLink = {
        add: (vip) => (vips.add(vip), void this.calls.push(`add ${key} ${vip}`)),
        remove: (vip) => (vips.delete(vip), void this.calls.push(`remove ${key} ${vip}`)),
        announce: (vip) => {
          if (this.failAnnounce) throw new Error("ENETDOWN");
          this.calls.push(`announce@${Date.now() - this.t0} ${key} ${vip}`);
        },
        stats: () => ({ protocol, ifname, answering: vips.size } as unknown as L2LinkStats),
        close: () => void this.calls.push(`close ${key}`),
      };
      return link;
    };
  }

  announcements(): string[] {
    return this.calls.filter((c) => c.startsWith("announce@"));
  }
}

const V4 = "198.18.0.200";
const V6 = "2001:db8:0:1::c8";

describe("L2 announcer", () => {
  let links: FakeLinks;
  beforeEach(() => {
    vi.useFakeTimers();
    links = new FakeLinks();
  });
  afterEach(() => vi.useRealTimers());

  const make = (over: { burstMs?: number[]; refreshMs?: number } = {}) =>
    createLinkAnnouncer({
      log,
      links: { 4: links.opener("arp"), 6: links.opener("ndp") },
      burstMs: over.burstMs ?? [0, 50, 250],
      refreshMs: over.refreshMs ?? 1_000,
      now: () => Date.now(),
    });

  it("answers IPv4 VIPs through ARP and IPv6 VIPs through NDP, on their interfaces, with canonical IPv6 text", () => {
    const a = make();
    a.update(new Map([[V4, "eth0"], ["2001:DB8:0:1:0:0:0:C8", "eth1"]]));
    expect(links.calls.filter((c) => !c.startsWith("announce"))).toEqual(["open eth0/arp", `add eth0/arp ${V4}`, "open eth1/ndp", `add eth1/ndp ${V6}`]);
    expect(a.stats?.()).toMatchObject({ answering: { ipv4: 1, ipv6: 1 }, links: { "eth0/arp": { answering: 1 }, "eth1/ndp": { answering: 1 } } });
  });

  it("announces in a burst on takeover, then every refresh period, until the VIP is no longer answered", async () => {
    const a = make();
    a.update(new Map([[V4, "eth0"], [V6, "eth0"]]));
    await vi.advanceTimersByTimeAsync(3_300);
    const at = (key: string) => links.announcements().filter((c) => c.includes(key)).map((c) => Number(/@(\d+)/.exec(c)![1]));
    expect(at("arp")).toEqual([0, 50, 250, 1_250, 2_250, 3_250]);
    expect(at("ndp")).toEqual([0, 50, 250, 1_250, 2_250, 3_250]);
    a.update(new Map([[V6, "eth0"]]));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(at("arp")).toHaveLength(6);
    expect(at("ndp")).toEqual([0, 50, 250, 1_250, 2_250, 3_250, 4_250, 5_250]);
    expect(a.stats?.()).toMatchObject({ announcements: 14, announceErrors: 0 });
  });

  it("sends a takeover's first announcement within the update, without waiting for a timer", () => {
    const a = make();
    a.update(new Map([[V4, "eth0"]]));
    expect(links.announcements()).toEqual([`announce@0 eth0/arp ${V4}`]);
    a.update(new Map([[V4, "eth0"], [V6, "eth0"]]));
    expect(links.announcements()).toEqual([`announce@0 eth0/arp ${V4}`, `announce@0 eth0/ndp ${V6}`]);
    expect(vi.getTimerCount()).toBe(1); // one timer for the rest of both bursts
  });

  it("a VIP that stays on its interface is not announced again; one that moves is removed, re-added and re-announced", async () => {
    const a = make({ refreshMs: 0 });
    a.update(new Map([[V4, "eth0"]]));
    await vi.advanceTimersByTimeAsync(1_000);
    a.update(new Map([[V4, "eth0"]]));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(links.announcements()).toHaveLength(3);
    a.update(new Map([[V4, "eth1"]]));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(links.calls.filter((c) => !c.startsWith("announce"))).toEqual([
      "open eth0/arp", `add eth0/arp ${V4}`, `remove eth0/arp ${V4}`, "open eth1/arp", `add eth1/arp ${V4}`,
    ]);
    expect(links.announcements().slice(3)).toEqual([2_000, 2_050, 2_250].map((t) => `announce@${t} eth1/arp ${V4}`));
  });

  it("counts conflicts per VIP and DAD probes reported by links", () => {
    const a = make();
    a.update(new Map([[V6, "eth0"]]));
    const events = links.events.get("eth0/ndp")!;
    events.conflict({ vip: V6, claimantMac: "02:00:00:00:00:02", detail: "NDP advertisement" });
    events.conflict({ vip: V6, claimantMac: "02:00:00:00:00:03", detail: "NDP advertisement" });
    events.dadProbe({ vip: V6, fromMac: "02:00:00:00:00:02" });
    expect(a.stats?.()).toMatchObject({
      conflicts: { total: 2, byVip: { [V6]: { count: 2, ifname: "eth0", lastClaimantMac: "02:00:00:00:00:03", lastAt: Date.now() } } },
      dadProbes: 1,
    });
  });

  it("counts failed announcements and keeps its schedule", async () => {
    const a = make({ burstMs: [0], refreshMs: 500 });
    links.failAnnounce = true;
    a.update(new Map([[V4, "eth0"]]));
    await vi.advanceTimersByTimeAsync(1_100);
    links.failAnnounce = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(a.stats?.()).toMatchObject({ announcements: 1, announceErrors: 3 });
  });

  it("skips a VIP whose interface cannot be opened, and tries again on the next update", () => {
    const a = make();
    links.failOpen.add("eth9/arp");
    a.update(new Map([[V4, "eth9"]]));
    expect(a.stats?.().answering).toEqual({ ipv4: 0, ipv6: 0 });
    links.failOpen.clear();
    a.update(new Map([[V4, "eth9"]]));
    expect(links.calls).toEqual(["open eth9/arp", `add eth9/arp ${V4}`, `announce@0 eth9/arp ${V4}`]);
  });

  it("skips a family it has no link for, and text that is not an address", () => {
    const a = createLinkAnnouncer({ log, links: { 4: links.opener("arp") }, now: () => Date.now() });
    a.update(new Map([[V6, "eth0"], ["not-an-ip", "eth0"], [V4, "eth0"]]));
    expect(links.calls).toEqual(["open eth0/arp", `add eth0/arp ${V4}`, `announce@0 eth0/arp ${V4}`]);
  });

  it("close stops every timer and closes every link; updates after close do nothing", async () => {
    const a = make();
    a.update(new Map([[V4, "eth0"], [V6, "eth1"]]));
    const beforeClose = links.announcements(); // the takeover's own, sent within the update
    await a.close();
    a.update(new Map([[V4, "eth2"]]));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(links.announcements()).toEqual(beforeClose);
    expect(beforeClose).toHaveLength(2);
    expect(links.calls.filter((c) => c.startsWith("close"))).toEqual(["close eth0/arp", "close eth1/ndp"]);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("rejects settings that make no sense", () => {
    expect(() => make({ burstMs: [100, 0] })).toThrow("burstMs[1]");
    expect(() => make({ refreshMs: -1 })).toThrow("refreshMs");
  });
});
