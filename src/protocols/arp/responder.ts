// The ARP responder's decision, as a pure function: given one decoded frame received on an interface and the VIPs
// this node answers for there, say what to do. No I/O, no clock: the transport performs the returned action.
import { BROADCAST_MAC, ZERO_IPV4, isGroupMac } from "../codec/addresses.js";
import { arpReply, isGratuitous } from "./codec.js";
import type { ArpFrame, ArpOperation } from "./codec.js";

/** The interface a frame arrived on. */
export interface ArpInterface {
  readonly name: string;
  /** Canonical lowercase MAC of the interface. */
  readonly mac: string;
  /** IPv4 addresses configured on the interface: the kernel answers for these itself, so we never do. */
  readonly ipv4: readonly string[];
}

/** The VIPs this node answers for on the interface, as a set or a predicate. */
export type VipMatcher = ReadonlySet<string> | ((ip: string) => boolean);

export const IgnoreReason = {
  /** Our own frame (sender MAC or Ethernet source is the interface MAC). */
  OwnFrame: "own-frame",
  /** Sender or Ethernet source is a group (multicast/broadcast) MAC: never a real host. */
  BadSender: "bad-sender",
  /** An ARP reply for an address that is not ours: nothing to answer. */
  NotARequest: "not-a-request",
  /** Someone else announcing their own (non-VIP) address. */
  GratuitousFromOther: "gratuitous-from-other",
  /** A request for an address we do not answer for. */
  NotOurVip: "not-our-vip",
  /** The VIP is also configured on the interface, so the kernel replies; answering too would duplicate it. */
  KernelAddress: "kernel-address",
  /** A unicast request to some other MAC (seen only in promiscuous mode). */
  NotAddressedToUs: "not-addressed-to-us",
} as const;
export type IgnoreReason = (typeof IgnoreReason)[keyof typeof IgnoreReason];

export type ArpAction =
  | { readonly kind: "reply"; readonly vip: string; readonly frame: ArpFrame }
  | {
      readonly kind: "conflict";
      readonly vip: string;
      /** The other MAC that uses our VIP as its sender address. */
      readonly claimantMac: string;
      readonly op: ArpOperation;
      readonly gratuitous: boolean;
    }
  | { readonly kind: "ignore"; readonly reason: IgnoreReason };

export function answersFor(vips: VipMatcher, ip: string): boolean {
  return typeof vips === "function" ? vips(ip) : vips.has(ip);
}

/**
 * Decide what to do with `frame` received on `iface`.
 * - Any frame whose sender IP is one of our VIPs, from a different MAC, is a conflict (a reply, a gratuitous ARP,
 *   or a request using our VIP as its source). A DAD probe (sender IP 0.0.0.0) is not: it is answered, which is how
 *   RFC 5227 defends an address.
 * - A request for one of our VIPs, broadcast or unicast to us, gets a reply from the interface MAC.
 */
export function decideArp(frame: ArpFrame, iface: ArpInterface, vips: VipMatcher): ArpAction {
  if (frame.senderMac === iface.mac || frame.ethSrc === iface.mac) return ignore(IgnoreReason.OwnFrame);
  if (isGroupMac(frame.senderMac) || isGroupMac(frame.ethSrc)) return ignore(IgnoreReason.BadSender);
  if (frame.senderIp !== ZERO_IPV4 && answersFor(vips, frame.senderIp)) {
    return {
      kind: "conflict",
      vip: frame.senderIp,
      claimantMac: frame.senderMac,
      op: frame.op,
      gratuitous: isGratuitous(frame),
    };
  }
  if (frame.op !== "request") return ignore(IgnoreReason.NotARequest);
  if (isGratuitous(frame)) return ignore(IgnoreReason.GratuitousFromOther);
  if (!answersFor(vips, frame.targetIp)) return ignore(IgnoreReason.NotOurVip);
  if (iface.ipv4.includes(frame.targetIp)) return ignore(IgnoreReason.KernelAddress);
  if (frame.ethDst !== BROADCAST_MAC && frame.ethDst !== iface.mac) return ignore(IgnoreReason.NotAddressedToUs);
  return { kind: "reply", vip: frame.targetIp, frame: arpReply(frame, iface.mac) };
}

function ignore(reason: IgnoreReason): ArpAction {
  return { kind: "ignore", reason };
}
