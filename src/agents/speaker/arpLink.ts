// ARP as an L2 announcer link: answers requests for the IPv4 VIPs added to it, announces with gratuitous ARP.
import type { Logger } from "pino";
import { startArpResponder } from "../../adapters/arp/responder.js";
import { gratuitousArp } from "../../protocols/arp/codec.js";
import type { LinkOpener } from "./l2Announcer.js";

/** Opens one ARP responder (packet socket with the in-kernel ARP filter) per interface. */
export function arpLink(log: Logger): LinkOpener {
  return (ifname, events) => {
    const vips = new Set<string>();
    const responder = startArpResponder({
      ifname,
      answerFor: vips,
      onConflict: (c) =>
        events.conflict({ vip: c.vip, claimantMac: c.claimantMac, detail: `ARP ${c.gratuitous ? "gratuitous " : ""}${c.op}` }),
      log,
    });
    const { transport } = responder;
    return {
      add: (vip) => void vips.add(vip),
      remove: (vip) => void vips.delete(vip),
      announce: (vip) => {
        transport.send(gratuitousArp(vip, transport.mac, "request"));
        transport.send(gratuitousArp(vip, transport.mac, "reply"));
      },
      stats: () => {
        const { replies, conflicts } = responder.stats;
        return { protocol: "arp", ifname, answering: vips.size, replies, conflicts, dadProbes: 0, ...transport.counters };
      },
      close: () => responder.close(),
    };
  };
}
