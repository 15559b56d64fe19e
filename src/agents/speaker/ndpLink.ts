// NDP as an L2 announcer link: answers solicitations for the IPv6 VIPs added to it, joins their solicited-node
// multicast groups on the interface, announces with unsolicited Neighbor Advertisements.
import type { Logger } from "pino";
import { SolicitedNodeGroups, openIpv6Membership } from "../../adapters/ndp/multicastGroups.js";
import type { GroupMembership } from "../../adapters/ndp/multicastGroups.js";
import { startNdpResponder } from "../../adapters/ndp/responder.js";
import type { NdpTransportOptions } from "../../adapters/ndp/transport.js";
import { unsolicitedAdvertisement } from "../../protocols/ndp/messages.js";
import type { LinkOpener } from "./l2Announcer.js";

export interface NdpLinkOptions {
  readonly openMembership?: (ifname: string, ifindex: number) => GroupMembership;
  readonly openSocket?: NdpTransportOptions["openSocket"];
}

/**
 * Opens one NDP responder (packet socket with the in-kernel NDP filter) and one group membership socket per
 * interface. A group that cannot be joined is logged and counted, and the VIP is answered anyway: unicast
 * solicitations still arrive, and so do multicast ones on links that do not filter (veth, bridges without snooping).
 */
export function ndpLink(log: Logger, opts: NdpLinkOptions = {}): LinkOpener {
  const openMembership = opts.openMembership ?? openIpv6Membership;
  return (ifname, events) => {
    const vips = new Set<string>();
    const responder = startNdpResponder({
      ifname,
      answerFor: vips,
      onConflict: (c) => events.conflict({ vip: c.vip, claimantMac: c.claimantMac, detail: `NDP ${c.message}` }),
      onDadProbe: (p) => events.dadProbe({ vip: p.vip, fromMac: p.fromMac }),
      log,
      ...(opts.openSocket ? { openSocket: opts.openSocket } : {}),
    });
    const { transport } = responder;
    let groupErrors = 0;
    let groups: SolicitedNodeGroups | undefined;
    const failed = (op: string, vip: string | undefined, err: unknown): void => {
      groupErrors++;
      log.error({ ifname, vip, op, err: (err as Error).message }, "solicited-node multicast membership failed");
    };
    try {
      groups = new SolicitedNodeGroups(openMembership(ifname, transport.ifindex));
    } catch (err) {
      failed("open", undefined, err);
    }
    return {
      add: (vip) => {
        vips.add(vip);
        try {
          groups?.add(vip);
        } catch (err) {
          failed("join", vip, err);
        }
      },
      remove: (vip) => {
        vips.delete(vip);
        try {
          groups?.remove(vip);
        } catch (err) {
          failed("leave", vip, err);
        }
      },
      announce: (vip) => transport.send(unsolicitedAdvertisement(vip, transport.mac)),
      stats: () => {
        const s = responder.stats;
        const replies = s.replies.multicast + s.replies.unicast;
        return {
          protocol: "ndp",
          ifname,
          answering: vips.size,
          replies,
          conflicts: s.conflicts,
          dadProbes: s.dadProbes,
          ...transport.counters,
          groups: groups?.groups.length ?? 0,
          groupErrors,
        };
      },
      close: () => {
        groups?.close();
        responder.close();
      },
    };
  };
}
