// Builders for the Neighbor Discovery frames vipmesh sends (advertisements) and the ones tests and the lab craft
// (solicitations, duplicate address detection probes). Pure: frames in, frames out.
import {
  ALL_NODES_IPV6,
  ALL_NODES_MAC,
  UNSPECIFIED_IPV6,
  solicitedNodeAddress,
  solicitedNodeMac,
} from "../codec/ipv6.js";
import { linkLayerAddress } from "./options.js";
import type { NdpFrame } from "./codec.js";

/**
 * The solicited advertisement a host owning the target of solicitation `ns` sends (RFC 4861 7.2.4): from the target
 * address, unicast to the solicitation's source at its source link-layer address (or, when a unicast solicitation
 * omitted the option, its Ethernet source), Solicited and Override set, with our MAC as the target link-layer option
 * (always included, as it must be for a multicast solicitation). Not for DAD probes (source ::): never answered here.
 */
export function solicitedAdvertisement(ns: NdpFrame, ownMac: string): NdpFrame {
  return {
    ethDst: linkLayerAddress(ns.message.options, "sourceLinkLayer") ?? ns.ethSrc,
    ethSrc: ownMac,
    ipSrc: ns.message.target,
    ipDst: ns.ipSrc,
    message: {
      type: "advertisement",
      router: false,
      solicited: true,
      override: true,
      target: ns.message.target,
      options: [{ kind: "targetLinkLayer", mac: ownMac }],
    },
  };
}

/**
 * An unsolicited advertisement announcing that `vip` is at `mac` (RFC 4861 7.2.6): to all nodes, Solicited clear,
 * Override set so neighbours replace a cached address (the previous owner's) at once.
 */
export function unsolicitedAdvertisement(vip: string, mac: string): NdpFrame {
  return {
    ethDst: ALL_NODES_MAC,
    ethSrc: mac,
    ipSrc: vip,
    ipDst: ALL_NODES_IPV6,
    message: {
      type: "advertisement",
      router: false,
      solicited: false,
      override: true,
      target: vip,
      options: [{ kind: "targetLinkLayer", mac }],
    },
  };
}

export interface SolicitationSpec {
  readonly mac: string;
  readonly ip: string;
  readonly target: string;
  /** Unicast to this MAC and to the target address (neighbour unreachability detection); default multicast. */
  readonly unicastTo?: string;
}

/** A Neighbor Solicitation with a source link-layer option: to the target's solicited-node group, or unicast. */
export function neighborSolicitation(spec: SolicitationSpec): NdpFrame {
  const unicast = spec.unicastTo !== undefined;
  return {
    ethDst: spec.unicastTo ?? solicitedNodeMac(spec.target, "target"),
    ethSrc: spec.mac,
    ipSrc: spec.ip,
    ipDst: unicast ? spec.target : solicitedNodeAddress(spec.target, "target"),
    message: { type: "solicitation", target: spec.target, options: [{ kind: "sourceLinkLayer", mac: spec.mac }] },
  };
}

/** A duplicate address detection probe for `target` (RFC 4862 5.4.2): from ::, no source link-layer option. */
export function dadProbe(target: string, mac: string): NdpFrame {
  return {
    ethDst: solicitedNodeMac(target, "target"),
    ethSrc: mac,
    ipSrc: UNSPECIFIED_IPV6,
    ipDst: solicitedNodeAddress(target, "target"),
    message: { type: "solicitation", target, options: [] },
  };
}
