// Wires the pure NDP decision (protocols/ndp/responder.ts) to a real interface: solicitations in, advertisements
// out, conflicts and duplicate address detection probes reported. The only place NDP decisions become I/O.
import { cachedInterfaceAddresses } from "../host/interfaceAddresses.js";
import { canonicalIpv6 } from "../../protocols/codec/ipv6.js";
import type { NdpFrame, NdpMessage } from "../../protocols/ndp/codec.js";
import { decideNdp } from "../../protocols/ndp/responder.js";
import type { Ipv6VipMatcher, NdpIgnoreReason, NdpInterface } from "../../protocols/ndp/responder.js";
import type { PacketLogger } from "../packet/decodingTransport.js";
import { openNdpTransport } from "./transport.js";
import type { NdpTransport, NdpTransportOptions } from "./transport.js";

export interface NdpConflict {
  readonly ifname: string;
  readonly vip: string;
  /** The other MAC claiming our VIP. */
  readonly claimantMac: string;
  readonly message: NdpMessage["type"];
}

export interface NdpDadProbe {
  readonly ifname: string;
  readonly vip: string;
  readonly fromMac: string;
}

export interface NdpResponderOptions {
  readonly ifname: string;
  /** The IPv6 VIPs (canonical text) to answer for on this interface: a set or a predicate, consulted per frame. */
  readonly answerFor: Ipv6VipMatcher;
  readonly onConflict?: (conflict: NdpConflict) => void;
  readonly onDadProbe?: (probe: NdpDadProbe) => void;
  readonly log?: PacketLogger;
  /** IPv6 addresses configured on the interface (the kernel answers for those); default: os.networkInterfaces(). */
  readonly interfaceAddresses?: (ifname: string) => readonly string[];
  readonly openSocket?: NdpTransportOptions["openSocket"];
}

export interface NdpResponderStats {
  /** Advertisements sent in answer to multicast (address resolution) and unicast (reachability) solicitations. */
  readonly replies: { readonly multicast: number; readonly unicast: number };
  readonly conflicts: number;
  readonly dadProbes: number;
  readonly ignored: Readonly<Partial<Record<NdpIgnoreReason, number>>>;
}

export interface NdpResponder {
  readonly transport: NdpTransport;
  /** A snapshot. */
  readonly stats: NdpResponderStats;
  /** Idempotent. */
  close(): void;
}

/** Opens the NDP transport on `opts.ifname` and answers solicitations for the VIPs `answerFor` names. */
export function startNdpResponder(opts: NdpResponderOptions): NdpResponder {
  const addresses = opts.interfaceAddresses ?? cachedInterfaceAddresses("IPv6", (a) => canonicalIpv6(a) ?? a);
  const replies = { multicast: 0, unicast: 0 };
  const counts = { conflicts: 0, dadProbes: 0 };
  const ignored: Partial<Record<NdpIgnoreReason, number>> = {};
  const ifname = opts.ifname;
  let iface: NdpInterface | undefined;

  const onFrame = (frame: NdpFrame): void => {
    if (iface === undefined) return;
    const action = decideNdp(frame, iface, opts.answerFor);
    switch (action.kind) {
      case "ignore":
        ignored[action.reason] = (ignored[action.reason] ?? 0) + 1;
        return;
      case "conflict":
        counts.conflicts++;
        opts.log?.warn({ ifname, ...action }, "another host claims our IPv6 VIP");
        opts.onConflict?.({ ifname, vip: action.vip, claimantMac: action.claimantMac, message: action.message });
        return;
      case "dad-probe":
        counts.dadProbes++;
        opts.log?.warn({ ifname, vip: action.vip, fromMac: action.fromMac }, "DAD probe for our VIP (not answered)");
        opts.onDadProbe?.({ ifname, vip: action.vip, fromMac: action.fromMac });
        return;
      case "reply":
        try {
          transport.send(action.frame);
          replies[action.unicast ? "unicast" : "multicast"]++;
          opts.log?.debug({ ifname, vip: action.vip, to: action.frame.ipDst, unicast: action.unicast }, "answered NS");
        } catch (err) {
          opts.log?.warn({ ifname, vip: action.vip, err: String(err) }, "failed to send neighbor advertisement");
        }
        return;
    }
  };

  const transport = openNdpTransport({
    ifname,
    onFrame,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.openSocket ? { openSocket: opts.openSocket } : {}),
  });
  // ipv6 is read only for solicitations of one of our VIPs, so the interface lookup stays off the common path.
  iface = {
    name: ifname,
    mac: transport.mac,
    get ipv6() {
      return addresses(ifname);
    },
  };

  return {
    transport,
    get stats() {
      return { replies: { ...replies }, ...counts, ignored: { ...ignored } };
    },
    close: () => transport.close(),
  };
}
