// Ethernet II + IPv6 + ICMPv6 Neighbor Solicitation / Neighbor Advertisement (RFC 4861 4.3, 4.4): the NDP that
// vipmesh speaks. Addresses are canonical strings (MAC "aa:bb:..", IPv6 RFC 5952), as in the ARP codec.
//
// Validation on decode is RFC 4861 7.1.1 / 7.1.2, so nothing invalid reaches the responder: hop limit 255 (the
// packet cannot have crossed a router), a correct ICMPv6 checksum, code 0, ICMP length >= 24, a target that is not
// multicast, no option of length 0; for a solicitation from the unspecified address (duplicate address detection),
// a solicited-node multicast destination and no source link-layer option; for an advertisement to a multicast
// address, the Solicited flag clear. A multicast source is rejected too (RFC 4291 2.7). The encoder refuses the
// same things, so every encodable frame decodes.
//
// Not represented: traffic class and flow label (decoded frames ignore them, encoders write 0 as Linux's ndisc
// does), the reserved bits (ignored on receipt, written as 0), and extension headers (the next header must be
// ICMPv6: Neighbor Discovery never needs one, and the kernel filter passes nothing else). Trailing bytes after the
// IPv6 payload (Ethernet padding) are ignored; bytesRead ends at the payload.
import { macToBytes, readMac } from "../codec/addresses.js";
import { icmpv6Checksum } from "../codec/checksum.js";
import { EncodeError } from "../codec/errors.js";
import { UNSPECIFIED_IPV6, ipv6FromBytes, ipv6ToBytes, isMulticastIpv6, isSolicitedNodeAddress } from "../codec/ipv6.js";
import { ByteReader } from "../codec/reader.js";
import { ByteWriter } from "../codec/writer.js";
import { linkLayerAddress, optionLength, readOptions, validateOption, writeOption } from "./options.js";
import type { NdpOption } from "./options.js";

export type { NdpOption } from "./options.js";

export const ETHERTYPE_IPV6 = 0x86dd;
export const IPPROTO_ICMPV6 = 58;
/** RFC 4861: every Neighbor Discovery message is sent, and must arrive, with hop limit 255. */
export const NDP_HOP_LIMIT = 255;
export const ETHERNET_HEADER_LENGTH = 14;
export const IPV6_HEADER_LENGTH = 40;
/** ICMPv6 type, code, checksum, 4 bytes of flags/reserved, 16-byte target. */
export const NDP_BODY_LENGTH = 24;
const ICMP_OFFSET = ETHERNET_HEADER_LENGTH + IPV6_HEADER_LENGTH;

export const IcmpType = { solicitation: 135, advertisement: 136 } as const;

export const NdpErrorCode = {
  BadEthertype: "NDP_BAD_ETHERTYPE",
  BadIpVersion: "NDP_BAD_IP_VERSION",
  BadNextHeader: "NDP_BAD_NEXT_HEADER",
  BadHopLimit: "NDP_BAD_HOP_LIMIT",
  MulticastSource: "NDP_MULTICAST_SOURCE",
  BadType: "NDP_BAD_TYPE",
  BadCode: "NDP_BAD_CODE",
  TooShort: "NDP_TOO_SHORT",
  BadChecksum: "NDP_BAD_CHECKSUM",
  MulticastTarget: "NDP_MULTICAST_TARGET",
  DadNotToSolicitedNode: "NDP_DAD_NOT_SOLICITED_NODE",
  DadWithSourceLinkLayer: "NDP_DAD_WITH_SOURCE_LINK_LAYER",
  SolicitedToMulticast: "NDP_SOLICITED_TO_MULTICAST",
} as const;

export interface NeighborSolicitation {
  readonly type: "solicitation";
  readonly target: string;
  readonly options: readonly NdpOption[];
}

export interface NeighborAdvertisement {
  readonly type: "advertisement";
  readonly router: boolean;
  readonly solicited: boolean;
  readonly override: boolean;
  readonly target: string;
  readonly options: readonly NdpOption[];
}

export type NdpMessage = NeighborSolicitation | NeighborAdvertisement;

/** One Ethernet II frame carrying an IPv6 packet carrying one Neighbor Solicitation or Advertisement. */
export interface NdpFrame {
  readonly ethDst: string;
  readonly ethSrc: string;
  readonly ipSrc: string;
  readonly ipDst: string;
  readonly message: NdpMessage;
}

function icmpLength(m: NdpMessage): number {
  return m.options.reduce((n, o) => n + optionLength(o), NDP_BODY_LENGTH);
}

export function encodingLength(m: NdpFrame): number {
  return ICMP_OFFSET + icmpLength(m.message);
}

/** The RFC 4861 rule a message breaks, as [code, what], or undefined. Shared by encoder and decoder. */
function ruleBroken(ipSrc: string, ipDst: string, m: NdpMessage): readonly [string, string] | undefined {
  if (isMulticastIpv6(ipSrc)) return [NdpErrorCode.MulticastSource, `source ${ipSrc} is multicast`];
  if (isMulticastIpv6(m.target)) return [NdpErrorCode.MulticastTarget, `target ${m.target} is multicast`];
  if (m.type === "solicitation" && ipSrc === UNSPECIFIED_IPV6) {
    if (!isSolicitedNodeAddress(ipDst)) {
      return [NdpErrorCode.DadNotToSolicitedNode, `solicitation from :: to ${ipDst}, not a solicited-node group`];
    }
    if (linkLayerAddress(m.options, "sourceLinkLayer") !== undefined) {
      return [NdpErrorCode.DadWithSourceLinkLayer, "solicitation from :: carries a source link-layer option"];
    }
  }
  if (m.type === "advertisement" && m.solicited && isMulticastIpv6(ipDst)) {
    return [NdpErrorCode.SolicitedToMulticast, `advertisement to multicast ${ipDst} has the Solicited flag`];
  }
  return undefined;
}

/** Writes `m` at `offset` with its checksum; returns bytes written. Validates every field before writing. */
export function encodeInto(m: NdpFrame, buf: Uint8Array, offset = 0): number {
  const msg = m.message;
  const type = IcmpType[msg.type] as number | undefined;
  if (type === undefined) throw new EncodeError(NdpErrorCode.BadType, "message.type", `unknown "${String(msg.type)}"`);
  const ethDst = macToBytes(m.ethDst, "ethDst");
  const ethSrc = macToBytes(m.ethSrc, "ethSrc");
  const src = ipv6ToBytes(m.ipSrc, "ipSrc");
  const dst = ipv6ToBytes(m.ipDst, "ipDst");
  const target = ipv6ToBytes(msg.target, "message.target");
  msg.options.forEach((o, i) => validateOption(o, `message.options[${i}]`));
  const broken = ruleBroken(m.ipSrc, m.ipDst, msg);
  if (broken !== undefined) throw new EncodeError(broken[0], "message", broken[1]);
  const length = icmpLength(msg);
  const w = new ByteWriter(buf, offset);
  w.bytes(ethDst).bytes(ethSrc).u16(ETHERTYPE_IPV6);
  w.u32(0x60000000).u16(length).u8(IPPROTO_ICMPV6).u8(NDP_HOP_LIMIT).bytes(src).bytes(dst);
  const icmpStart = w.offset;
  w.u8(type).u8(0).u16(0);
  const flags = msg.type === "advertisement" ? flagByte(msg) : 0;
  w.u8(flags).zeros(3).bytes(target);
  for (const o of msg.options) writeOption(w, o);
  const sum = icmpv6Checksum(src, dst, buf, icmpStart, w.offset);
  buf[icmpStart + 2] = sum >> 8;
  buf[icmpStart + 3] = sum & 0xff;
  return w.written;
}

function flagByte(m: NeighborAdvertisement): number {
  return (m.router ? 0x80 : 0) | (m.solicited ? 0x40 : 0) | (m.override ? 0x20 : 0);
}

/** A zeroed buffer of exactly encodingLength(m) bytes holding `m`. */
export function encode(m: NdpFrame): Uint8Array {
  const buf = new Uint8Array(encodingLength(m));
  encodeInto(m, buf, 0);
  return buf;
}

/** Decodes and validates one frame at `offset`. Throws DecodeError. */
export function decode(bytes: Uint8Array, offset = 0): { value: NdpFrame; bytesRead: number } {
  const r: ByteReader = new ByteReader(bytes, offset);
  const ethDst = readMac(r);
  const ethSrc = readMac(r);
  const ethertype = r.u16();
  if (ethertype !== ETHERTYPE_IPV6) r.fail(NdpErrorCode.BadEthertype, `ethertype 0x${hex4(ethertype)}`, r.offset - 2);
  const ip = readIpv6Header(r);
  const icmp: ByteReader = r.sub(ip.payloadLength); // annotated: lets fail() (never) narrow
  const icmpStart = icmp.offset;
  if (ip.payloadLength < NDP_BODY_LENGTH) {
    icmp.fail(NdpErrorCode.TooShort, `ICMPv6 length ${ip.payloadLength} < ${NDP_BODY_LENGTH}`, icmpStart);
  }
  if (icmpv6Checksum(ip.src, ip.dst, bytes, icmpStart, icmpStart + ip.payloadLength) !== 0) {
    icmp.fail(NdpErrorCode.BadChecksum, "ICMPv6 checksum does not match", icmpStart + 2);
  }
  const message = readMessage(icmp);
  const ipSrc = ipv6FromBytes(ip.src);
  const ipDst = ipv6FromBytes(ip.dst);
  const broken = ruleBroken(ipSrc, ipDst, message);
  if (broken !== undefined) {
    const [brokenCode, why] = broken;
    const at =
      brokenCode === NdpErrorCode.MulticastTarget ? icmpStart + 8
      : brokenCode === NdpErrorCode.MulticastSource ? ip.start + 8
      : icmpStart;
    r.fail(brokenCode, why, at);
  }
  return { value: { ethDst, ethSrc, ipSrc, ipDst, message }, bytesRead: icmpStart + ip.payloadLength - offset };
}

/** The fixed IPv6 header: version 6, next header ICMPv6 (no extension headers), hop limit 255. */
function readIpv6Header(r: ByteReader) {
  const start = r.offset;
  const version = r.u8() >> 4;
  if (version !== 6) r.fail(NdpErrorCode.BadIpVersion, `IP version ${version}`, start);
  r.skip(3); // traffic class, flow label
  const payloadLength = r.u16();
  const nextHeader = r.u8();
  if (nextHeader !== IPPROTO_ICMPV6) r.fail(NdpErrorCode.BadNextHeader, `next header ${nextHeader}`, r.offset - 1);
  const hopLimit = r.u8();
  if (hopLimit !== NDP_HOP_LIMIT) r.fail(NdpErrorCode.BadHopLimit, `hop limit ${hopLimit}, want 255`, r.offset - 1);
  return { start, payloadLength, src: r.bytesView(16), dst: r.bytesView(16) };
}

/** The ICMPv6 message (length and checksum already checked): type, code, flags, target, options. */
function readMessage(icmp: ByteReader): NdpMessage {
  const start = icmp.offset;
  const type = icmp.u8();
  if (type !== IcmpType.solicitation && type !== IcmpType.advertisement) {
    icmp.fail(NdpErrorCode.BadType, `ICMPv6 type ${type} is not 135 or 136`, start);
  }
  const code = icmp.u8();
  if (code !== 0) icmp.fail(NdpErrorCode.BadCode, `ICMPv6 code ${code}, want 0`, start + 1);
  icmp.skip(2); // checksum
  const flags = icmp.u8();
  icmp.skip(3); // reserved
  const target = ipv6FromBytes(icmp.bytesView(16));
  const options = readOptions(icmp);
  if (type === IcmpType.solicitation) return { type: "solicitation", target, options };
  const [router, solicited, override] = [0x80, 0x40, 0x20].map((bit) => (flags & bit) !== 0) as [boolean, boolean, boolean];
  return { type: "advertisement", router, solicited, override, target, options };
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, "0");
}
