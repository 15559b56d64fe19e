// Wires the pure ARP decision (protocols/arp/responder.ts) to a real interface: frames in, replies out, conflicts
// reported. This is the only place that turns decisions into I/O.
import { cachedInterfaceAddresses } from "../host/interfaceAddresses.js";
import type { ArpFrame, ArpOperation } from "../../protocols/arp/codec.js";
import { IgnoreReason, answersFor, decideArp } from "../../protocols/arp/responder.js";
import { fastArpReply, type FastReplyContext } from "../../protocols/arp/fastReply.js";
import { macToBytes } from "../../protocols/codec/addresses.js";
import type { ArpInterface, VipMatcher } from "../../protocols/arp/responder.js";
import { openArpTransport } from "./transport.js";
import type { ArpLogger, ArpTransport, ArpTransportOptions } from "./transport.js";

export interface ArpConflict {
  readonly ifname: string;
  readonly vip: string;
  /** The other MAC that sent a frame with our VIP as its sender address. */
  readonly claimantMac: string;
  readonly op: ArpOperation;
  readonly gratuitous: boolean;
}

export interface ArpResponderOptions {
  readonly ifname: string;
  /**
   * The VIPs to answer for on this interface: a set, a predicate, or a function returning the current set.
   * Consulted for every frame, so it should be cheap (a lookup in the agent's projection).
   */
  readonly answerFor: ReadonlySet<string> | ((vip: string) => boolean | ReadonlySet<string>);
  readonly onConflict?: (conflict: ArpConflict) => void;
  readonly log?: ArpLogger;
  /** IPv4 addresses configured on the interface (the kernel answers for those); default: os.networkInterfaces(). */
  readonly interfaceAddresses?: (ifname: string) => readonly string[];
  readonly openSocket?: ArpTransportOptions["openSocket"];
}

export interface ArpResponderStats {
  readonly replies: number;
  readonly conflicts: number;
  readonly ignored: Readonly<Partial<Record<IgnoreReason, number>>>;
}

export interface ArpResponder {
  readonly transport: ArpTransport;
  /** A snapshot. */
  readonly stats: ArpResponderStats;
  /** Idempotent. */
  close(): void;
}

function toMatcher(answerFor: ArpResponderOptions["answerFor"]): VipMatcher {
  if (typeof answerFor !== "function") return answerFor;
  return (ip) => {
    const answer = answerFor(ip);
    return typeof answer === "boolean" ? answer : answer.has(ip);
  };
}

/** Opens the ARP transport on `opts.ifname` and answers requests for the VIPs `answerFor` names. */
export function startArpResponder(opts: ArpResponderOptions): ArpResponder {
  const vips = toMatcher(opts.answerFor);
  const addresses = opts.interfaceAddresses ?? cachedInterfaceAddresses("IPv4");
  const counts = { replies: 0, conflicts: 0 };
  const ignored: Partial<Record<IgnoreReason, number>> = {};
  let iface: ArpInterface | undefined;

  const onFrame = (frame: ArpFrame): void => {
    if (iface === undefined) return;
    const action = decideArp(frame, iface, vips);
    switch (action.kind) {
      case "ignore":
        ignored[action.reason] = (ignored[action.reason] ?? 0) + 1;
        return;
      case "conflict":
        counts.conflicts++;
        opts.log?.warn({ ifname: opts.ifname, ...action }, "another host claims our VIP");
        opts.onConflict?.({
          ifname: opts.ifname,
          vip: action.vip,
          claimantMac: action.claimantMac,
          op: action.op,
          gratuitous: action.gratuitous,
        });
        return;
      case "reply":
        try {
          transport.send(action.frame);
          counts.replies++;
          opts.log?.debug({ ifname: opts.ifname, vip: action.vip, to: action.frame.targetMac }, "answered ARP request");
        } catch (err) {
          opts.log?.warn({ ifname: opts.ifname, vip: action.vip, err: String(err) }, "failed to send ARP reply");
        }
        return;
    }
  };

  let fast: FastReplyContext | undefined;
  const fastPath = (bytes: Uint8Array): boolean => {
    const reply = fast === undefined ? null : fastArpReply(bytes, fast);
    if (reply === null) return false;
    try {
      transport.sendBytes(reply);
      counts.replies++;
    } catch (err) {
      opts.log?.warn({ ifname: opts.ifname, err: String(err) }, "failed to send ARP reply");
    }
    return true;
  };
  const transport = openArpTransport({
    ifname: opts.ifname,
    onFrame,
    fastPath,
    ...(opts.log ? { log: opts.log } : {}),
    ...(opts.openSocket ? { openSocket: opts.openSocket } : {}),
  });
  const ifname = opts.ifname;
  const mac = transport.mac;
  // ipv4 is read only for requests for one of our VIPs, so the interface lookup stays off the common path.
  iface = {
    name: ifname,
    mac,
    get ipv4() {
      return addresses(ifname);
    },
  };
  fast = { mac: macToBytes(mac), answers: (ip) => answersFor(vips, ip), kernelAddresses: () => addresses(ifname) };

  return {
    transport,
    get stats() {
      return { ...counts, ignored: { ...ignored } };
    },
    close: () => transport.close(),
  };
}
