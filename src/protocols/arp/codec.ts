// Ethernet II + ARP (RFC 826) for Ethernet/IPv4: the only ARP that vipmesh speaks.
//
// Representation: MACs are canonical lowercase "aa:bb:cc:dd:ee:ff" strings and IPv4 addresses dotted strings, so
// test tables read like tcpdump output and string equality is address equality (see ../codec/addresses.ts).
//
// Padding: encode() writes exactly 42 bytes (14 Ethernet + 28 ARP), never the 60-byte Ethernet minimum. The kernel
// sends short frames from packet sockets as-is and NIC drivers pad them on the wire, which is what Linux does for its
// own ARP. decode() accepts any trailing bytes (padding, FCS) and reports bytesRead = 42.
import {
  BROADCAST_MAC,
  ZERO_MAC,
  ipv4ToBytes,
  macToBytes,
  readIpv4,
  readMac,
} from "../codec/addresses.js";
import { EncodeError } from "../codec/errors.js";
import { ByteReader } from "../codec/reader.js";
import { ByteWriter } from "../codec/writer.js";

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV4 = 0x0800;
export const HTYPE_ETHERNET = 1;
export const ETHERNET_HEADER_LENGTH = 14;
export const ARP_PAYLOAD_LENGTH = 28;
/** Ethernet header + ARP payload: the length of every encoded frame. */
export const ARP_FRAME_LENGTH = ETHERNET_HEADER_LENGTH + ARP_PAYLOAD_LENGTH;
/** Minimum Ethernet frame without FCS; received ARP frames are often padded to this. */
export const MIN_ETHERNET_FRAME_LENGTH = 60;

export const ArpOpcode = { request: 1, reply: 2 } as const;
export type ArpOperation = keyof typeof ArpOpcode;

export const ArpErrorCode = {
  BadEthertype: "ARP_BAD_ETHERTYPE",
  BadHardwareType: "ARP_BAD_HTYPE",
  BadProtocolType: "ARP_BAD_PTYPE",
  BadHardwareLength: "ARP_BAD_HLEN",
  BadProtocolLength: "ARP_BAD_PLEN",
  BadOperation: "ARP_BAD_OP",
} as const;

/** One Ethernet II frame carrying an Ethernet/IPv4 ARP packet. */
export interface ArpFrame {
  readonly ethDst: string;
  readonly ethSrc: string;
  readonly op: ArpOperation;
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
}

export function encodingLength(_m: ArpFrame): number {
  return ARP_FRAME_LENGTH;
}

/** Writes `m` at `offset`; returns bytes written (42). Validates every field before writing anything. */
export function encodeInto(m: ArpFrame, buf: Uint8Array, offset = 0): number {
  const opcode = ArpOpcode[m.op] as number | undefined;
  if (opcode === undefined) throw new EncodeError("ARP_BAD_OP", "op", `unknown ARP operation "${String(m.op)}"`);
  const fields = {
    ethDst: macToBytes(m.ethDst, "ethDst"),
    ethSrc: macToBytes(m.ethSrc, "ethSrc"),
    senderMac: macToBytes(m.senderMac, "senderMac"),
    senderIp: ipv4ToBytes(m.senderIp, "senderIp"),
    targetMac: macToBytes(m.targetMac, "targetMac"),
    targetIp: ipv4ToBytes(m.targetIp, "targetIp"),
  };
  const w = new ByteWriter(buf, offset);
  w.bytes(fields.ethDst).bytes(fields.ethSrc).u16(ETHERTYPE_ARP);
  w.u16(HTYPE_ETHERNET).u16(ETHERTYPE_IPV4).u8(6).u8(4).u16(opcode);
  w.bytes(fields.senderMac).bytes(fields.senderIp).bytes(fields.targetMac).bytes(fields.targetIp);
  return w.written;
}

/** A zeroed buffer of exactly encodingLength(m) bytes holding `m`. */
export function encode(m: ArpFrame): Uint8Array {
  const buf = new Uint8Array(encodingLength(m));
  encodeInto(m, buf, 0);
  return buf;
}

/** Decodes one frame at `offset`; trailing bytes (padding) are ignored. Throws DecodeError. */
export function decode(bytes: Uint8Array, offset = 0): { value: ArpFrame; bytesRead: number } {
  const r: ByteReader = new ByteReader(bytes, offset);
  const ethDst = readMac(r);
  const ethSrc = readMac(r);
  expect(r, r.u16(), ETHERTYPE_ARP, ArpErrorCode.BadEthertype, "ethertype");
  expect(r, r.u16(), HTYPE_ETHERNET, ArpErrorCode.BadHardwareType, "hardware type");
  expect(r, r.u16(), ETHERTYPE_IPV4, ArpErrorCode.BadProtocolType, "protocol type");
  expect(r, r.u8(), 6, ArpErrorCode.BadHardwareLength, "hardware address length", 1);
  expect(r, r.u8(), 4, ArpErrorCode.BadProtocolLength, "protocol address length", 1);
  const opcode = r.u16();
  const op = opcode === 1 ? "request" : opcode === 2 ? "reply" : undefined;
  if (op === undefined) r.fail(ArpErrorCode.BadOperation, `ARP operation ${opcode} is not 1 or 2`, r.offset - 2);
  const senderMac = readMac(r);
  const senderIp = readIpv4(r);
  const targetMac = readMac(r);
  const targetIp = readIpv4(r);
  return {
    value: { ethDst, ethSrc, op, senderMac, senderIp, targetMac, targetIp },
    bytesRead: r.offset - offset,
  };
}

function expect(r: ByteReader, got: number, want: number, code: string, what: string, width = 2): void {
  if (got !== want) r.fail(code, `${what} 0x${hex(got, width)}, want 0x${hex(want, width)}`, r.offset - width);
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width * 2, "0");
}

/** The reply a host owning `request.targetIp` sends: unicast back to the requester's ARP sender MAC. */
export function arpReply(request: ArpFrame, ownMac: string): ArpFrame {
  return {
    ethDst: request.senderMac,
    ethSrc: ownMac,
    op: "reply",
    senderMac: ownMac,
    senderIp: request.targetIp,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  };
}

export type GratuitousForm = "request" | "reply";

/**
 * A gratuitous ARP announcing that `vip` is at `mac`, broadcast, with sender IP = target IP = vip.
 * - "request": the RFC 5227 announcement; target MAC 00:00:00:00:00:00 ("ignored, SHOULD be zero").
 *   (iputils `arping -U` puts ff:ff:ff:ff:ff:ff there; receivers ignore the field either way.)
 * - "reply": what iputils `arping -A` sends: op 2, target MAC = own MAC.
 * Send both: some hosts only update their caches from one form.
 */
export function gratuitousArp(vip: string, mac: string, form: GratuitousForm): ArpFrame {
  return {
    ethDst: BROADCAST_MAC,
    ethSrc: mac,
    op: form,
    senderMac: mac,
    senderIp: vip,
    targetMac: form === "request" ? ZERO_MAC : mac,
    targetIp: vip,
  };
}

/** True for a gratuitous ARP (either form): the sender announces its own address. */
export function isGratuitous(frame: ArpFrame): boolean {
  return frame.senderIp === frame.targetIp;
}
