import type { Logger } from "pino";
import { startArpResponder, type ArpResponder } from "../../adapters/arp/responder.js";
import { gratuitousArp } from "../../protocols/arp/codec.js";
import { parseIp } from "../../net/ip.js";
import type { AnswerSet } from "../../projections/answering.js";
import type { L2Announcer } from "./announcer.js";

/**
 * Gratuitous ARP offsets after takeover. The first ones move switches and neighbours at once; the ones after a
 * second beat Linux's neighbour `locktime` (1 s), which ignores an update to an entry changed just before.
 */
export const GARP_SCHEDULE_MS = [0, 50, 250, 1_100, 2_100] as const;

type InterfaceState = { responder: ArpResponder; vips: Set<string> };

/** Answers ARP for the IPv4 VIPs of the answer set, one packet socket per interface, and announces takeovers. */
export function createArpAnnouncer(log: Logger, schedule: readonly number[] = GARP_SCHEDULE_MS): L2Announcer {
  const interfaces = new Map<string, InterfaceState>();
  const bursts = new Map<string, ReturnType<typeof setTimeout>[]>();
  let current: AnswerSet = new Map();

  const stateFor = (ifname: string): InterfaceState | null => {
    const known = interfaces.get(ifname);
    if (known) return known;
    try {
      const vips = new Set<string>();
      const responder = startArpResponder({
        ifname,
        answerFor: () => vips,
        onConflict: (c) => log.warn({ vip: c.vip, claimantMac: c.claimantMac, ifname, op: c.op }, "conflicting ARP answer for a VIP we own"),
        log,
      });
      const state = { responder, vips };
      interfaces.set(ifname, state);
      return state;
    } catch (err) {
      log.error({ ifname, err: (err as Error).message }, "cannot open ARP socket; VIPs on this interface are not answered");
      return null;
    }
  };

  const stopBurst = (vip: string): void => {
    for (const timer of bursts.get(vip) ?? []) clearTimeout(timer);
    bursts.delete(vip);
  };

  const announce = (vip: string, state: InterfaceState): void => {
    stopBurst(vip);
    const send = (): void => {
      try {
        state.responder.transport.send(gratuitousArp(vip, state.responder.transport.mac, "request"));
        state.responder.transport.send(gratuitousArp(vip, state.responder.transport.mac, "reply"));
      } catch (err) {
        log.warn({ vip, err: (err as Error).message }, "gratuitous ARP not sent");
      }
    };
    bursts.set(vip, schedule.map((at) => setTimeout(send, at)));
  };

  return {
    update(answers) {
      for (const [vip, ifname] of current) {
        if (answers.get(vip) === ifname) continue;
        interfaces.get(ifname)?.vips.delete(vip);
        stopBurst(vip);
        log.info({ vip, ifname }, "stopped answering");
      }
      const next: AnswerSet = new Map();
      for (const [vip, ifname] of answers) {
        if (parseIp(vip).family !== 4) continue;
        if (current.get(vip) === ifname) {
          next.set(vip, ifname);
          continue;
        }
        const state = stateFor(ifname);
        if (!state) continue; // not recorded: the next update tries to open the interface again
        state.vips.add(vip);
        announce(vip, state);
        next.set(vip, ifname);
        log.info({ vip, ifname }, "answering and announcing");
      }
      current = next;
    },
    async close() {
      for (const vip of bursts.keys()) stopBurst(vip);
      for (const state of interfaces.values()) state.responder.close();
      interfaces.clear();
      current = new Map();
    },
  };
}
