// The NDP responder's decision, as a pure function: given one decoded (hence RFC 4861-valid) frame received on an
// interface and the IPv6 VIPs this node answers for there, say what to do. No I/O, no clock.
import { isGroupMac } from "../codec/addresses.js";
import { UNSPECIFIED_IPV6, multicastMac, solicitedNodeAddress } from "../codec/ipv6.js";
import { solicitedAdvertisement } from "./messages.js";
import { linkLayerAddress } from "./options.js";
import type { NdpFrame, NdpMessage } from "./codec.js";

/** The interface a frame arrived on. */
export interface NdpInterface {
  readonly name: string;
  /** Canonical lowercase MAC of the interface. */
  readonly mac: string;
  /** IPv6 addresses configured on the interface (canonical): the kernel answers for these itself. */
  readonly ipv6: readonly string[];
}

/** The VIPs (canonical IPv6 text) this node answers for on the interface, as a set or a predicate. */
export type Ipv6VipMatcher = ReadonlySet<string> | ((ip: string) => boolean);

export const NdpIgnoreReason = {
  /** Our own frame (Ethernet source is the interface MAC), or someone relaying our own advertisement. */
  OwnFrame: "own-frame",
  /** Ethernet source or link-layer option is a group MAC: never a real host. */
  BadSender: "bad-sender",
  /** An advertisement for an address that is not ours. */
  NotASolicitation: "not-a-solicitation",
  /** A solicitation for an address we do not answer for. */
  NotOurVip: "not-our-vip",
  /** The VIP is also configured on the interface, so the kernel answers; answering too would duplicate it. */
  KernelAddress: "kernel-address",
  /** Sent to another MAC or to neither the target nor its solicited-node group (seen only when promiscuous). */
  NotAddressedToUs: "not-addressed-to-us",
} as const;
export type NdpIgnoreReason = (typeof NdpIgnoreReason)[keyof typeof NdpIgnoreReason];

export type NdpAction =
  | {
      readonly kind: "reply";
      readonly vip: string;
      /** A unicast solicitation (neighbour unreachability detection) rather than a multicast one (resolution). */
      readonly unicast: boolean;
      readonly frame: NdpFrame;
    }
  | {
      readonly kind: "conflict";
      readonly vip: string;
      /** The other MAC: the advertisement's target (solicitation's source) link-layer option, else Ethernet source. */
      readonly claimantMac: string;
      readonly message: NdpMessage["type"];
    }
  | {
      /** Duplicate address detection for one of our VIPs: someone is about to configure it. Never answered. */
      readonly kind: "dad-probe";
      readonly vip: string;
      readonly fromMac: string;
    }
  | { readonly kind: "ignore"; readonly reason: NdpIgnoreReason };

function answersFor(vips: Ipv6VipMatcher, ip: string): boolean {
  return typeof vips === "function" ? vips(ip) : vips.has(ip);
}

/**
 * Decide what to do with `frame` received on `iface`.
 * - An advertisement for one of our VIPs from another MAC, or a solicitation using our VIP as its source, is a
 *   conflict: another host claims the address.
 * - A solicitation for one of our VIPs, multicast to its solicited-node group or unicast to it at our MAC, gets a
 *   solicited advertisement from the interface MAC.
 * - A duplicate address detection probe (source ::) for one of our VIPs is reported and not answered: answering would
 *   make the prober (for instance this node's own kernel, or an operator adding the address by hand) give it up.
 */
export function decideNdp(frame: NdpFrame, iface: NdpInterface, vips: Ipv6VipMatcher): NdpAction {
  const msg = frame.message;
  if (frame.ethSrc === iface.mac) return ignore(NdpIgnoreReason.OwnFrame);
  const optionKind = msg.type === "advertisement" ? "targetLinkLayer" : "sourceLinkLayer";
  const optionMac = linkLayerAddress(msg.options, optionKind);
  if (isGroupMac(frame.ethSrc) || (optionMac !== undefined && isGroupMac(optionMac))) {
    return ignore(NdpIgnoreReason.BadSender);
  }
  const claimant = optionMac ?? frame.ethSrc;
  if (msg.type === "advertisement") {
    if (!answersFor(vips, msg.target)) return ignore(NdpIgnoreReason.NotASolicitation);
    return conflictOrOwn(msg.target, claimant, iface, "advertisement");
  }
  if (frame.ipSrc !== UNSPECIFIED_IPV6 && answersFor(vips, frame.ipSrc)) {
    return conflictOrOwn(frame.ipSrc, claimant, iface, "solicitation");
  }
  if (!answersFor(vips, msg.target)) return ignore(NdpIgnoreReason.NotOurVip);
  if (iface.ipv6.includes(msg.target)) return ignore(NdpIgnoreReason.KernelAddress);
  if (frame.ipSrc === UNSPECIFIED_IPV6) return { kind: "dad-probe", vip: msg.target, fromMac: frame.ethSrc };
  const unicast = frame.ipDst === msg.target;
  if (!addressedToUs(frame, unicast, iface.mac)) return ignore(NdpIgnoreReason.NotAddressedToUs);
  return { kind: "reply", vip: msg.target, unicast, frame: solicitedAdvertisement(frame, iface.mac) };
}

function addressedToUs(frame: NdpFrame, unicast: boolean, mac: string): boolean {
  if (unicast) return frame.ethDst === mac;
  const group = solicitedNodeAddress(frame.message.target);
  return frame.ipDst === group && (frame.ethDst === multicastMac(group) || frame.ethDst === mac);
}

function conflictOrOwn(vip: string, claimantMac: string, iface: NdpInterface, message: NdpMessage["type"]): NdpAction {
  if (claimantMac === iface.mac) return ignore(NdpIgnoreReason.OwnFrame);
  return { kind: "conflict", vip, claimantMac, message };
}

function ignore(reason: NdpIgnoreReason): NdpAction {
  return { kind: "ignore", reason };
}
