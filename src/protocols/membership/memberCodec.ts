// The membership probes of the watcher design (docs/design.md, "The probe protocol"): a direct ping and its ack, a
// ping-request ("probe this node for me") and the relayed answer. They share the fencing probes' socket, version
// byte, key ids and HMAC-SHA256 tag; the type byte (3..6, after fencing's 1 and 2) tells them apart. The codec stays
// pure: the caller hands in the signer, and decoding returns the signed bytes and the tag to check.
//
// Layout (network byte order):
//   u8 version (2) | u8 type | u16 key id | u8 length + sender | u8 length + recipient
//   u32 + u32 incarnation (high, low) | u32 nonce        (the asker's; echoed in an ack and a relayed answer)
//   ack (4):            u32 + u32 the target's incarnation | u8 health 0..8 | u8 flags (bit 0: reaches the log)
//   ping-request (5):   u8 length + target | u8 family (4 or 6) | 4 or 16 bytes address | u16 port
//   relayed answer (6): u8 length + target | u8 flags (bit 0: replied, bit 1: reaches the log)
//                       | u32 + u32 the target's incarnation | u8 health   (all zero when it did not reply)
//   32 bytes tag
import { ipv4FromBytes, isIpv4, ipv4ToBytes } from "../codec/addresses.js";
import { DecodeError, EncodeError } from "../codec/errors.js";
import { ipv6FromBytes, ipv6ToBytes, isIpv6 } from "../codec/ipv6.js";
import { ByteReader } from "../codec/reader.js";
import { ByteWriter } from "../codec/writer.js";
import { MAX_HEALTH_SCORE } from "../../projections/members/lifeguard.js";

type Header = {
  readonly from: string;
  readonly to: string;
  /** The asker's incarnation (its start time in ms), echoed in answers. */
  readonly incarnation: number;
  /** The asker's probe counter within its incarnation, echoed in answers. */
  readonly nonce: number;
};

/** What a target says about itself in an ack (and a relay passes on). */
export type TargetReport = {
  readonly targetIncarnation: number;
  /** Its Lifeguard score (lifeguard.ts), 0 healthy .. 8 starved. */
  readonly health: number;
  readonly reachesLog: boolean;
};

export type MemberPing = Header & { readonly t: "ping" };
export type MemberAck = Header & TargetReport & { readonly t: "ack" };
export type MemberPingRequest = Header & { readonly t: "ping-req"; readonly target: string; readonly address: string; readonly port: number };
export type MemberRelayedAnswer = Header & TargetReport & { readonly t: "relayed"; readonly target: string; readonly replied: boolean };
export type MemberMessage = MemberPing | MemberAck | MemberPingRequest | MemberRelayedAnswer;

export type SignedMember = { readonly message: MemberMessage; readonly keyId: number; readonly signed: Uint8Array; readonly tag: Uint8Array };
export type MemberSigner = (signed: Uint8Array) => Uint8Array;

const VERSION = 2;
export const MEMBER_TYPES = { ping: 3, ack: 4, "ping-req": 5, relayed: 6 } as const;
const TYPE_NAMES = new Map<number, MemberMessage["t"]>(Object.entries(MEMBER_TYPES).map(([t, n]) => [n, t as MemberMessage["t"]]));
export const MEMBER_TAG_BYTES = 32;
const NAME_MAX = 253;
export const MAX_MEMBER_BYTES = 4 + 3 * (1 + NAME_MAX) + 12 + 1 + 16 + 2 + MEMBER_TAG_BYTES;

/** True when a datagram's type byte names a membership probe (so a shared socket hands it here, not to fencing). */
export const isMemberType = (type: number | undefined): boolean => type !== undefined && TYPE_NAMES.has(type);

export const MemberDecodeCode = {
  badVersion: "MEMBER_BAD_VERSION",
  badType: "MEMBER_BAD_TYPE",
  badName: "MEMBER_BAD_NAME",
  badIncarnation: "MEMBER_BAD_INCARNATION",
  badHealth: "MEMBER_BAD_HEALTH",
  badFlags: "MEMBER_BAD_FLAGS",
  badFamily: "MEMBER_BAD_FAMILY",
  badPort: "MEMBER_BAD_PORT",
  silentWithReport: "MEMBER_SILENT_WITH_REPORT",
  trailingBytes: "MEMBER_TRAILING_BYTES",
  tooLong: "MEMBER_TOO_LONG",
} as const;

const U32 = 0x1_0000_0000;
const NAME = /^[\x21-\x7e]{1,253}$/;
const isU32 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < U32;
const isIncarnation = (v: number): boolean => Number.isSafeInteger(v) && v >= 0;

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new EncodeError("MEMBER_BAD_FIELD", field, message);
}

function validate(m: MemberMessage, keyId: number): void {
  check(Number.isInteger(keyId) && keyId >= 0 && keyId <= 0xffff, "keyId", `${keyId} is not 0..65535`);
  const names = m.t === "ping-req" || m.t === "relayed" ? (["from", "to", "target"] as const) : (["from", "to"] as const);
  for (const f of names) {
    const v = (m as Record<string, unknown>)[f] as string;
    check(NAME.test(v), f, `${JSON.stringify(v)} is not 1..253 printable ASCII characters`);
  }
  check(isIncarnation(m.incarnation), "incarnation", `${m.incarnation} is not a whole number below 2^53`);
  check(isU32(m.nonce), "nonce", `${m.nonce} is not a 32-bit value`);
  if (m.t === "ack" || m.t === "relayed") validateReport(m, m.t === "ack" || m.replied);
  if (m.t === "ping-req") {
    check(isIpv4(m.address) || isIpv6(m.address), "address", `${JSON.stringify(m.address)} is not a dotted IPv4 or canonical IPv6 address`);
    check(Number.isInteger(m.port) && m.port >= 1 && m.port <= 0xffff, "port", `${m.port} is not 1..65535`);
  }
}

function validateReport(r: TargetReport, replied: boolean): void {
  check(isIncarnation(r.targetIncarnation), "targetIncarnation", `${r.targetIncarnation} is not a whole number below 2^53`);
  check(Number.isInteger(r.health) && r.health >= 0 && r.health <= MAX_HEALTH_SCORE, "health", `${r.health} is not 0..${MAX_HEALTH_SCORE}`);
  if (!replied) check(r.targetIncarnation === 0 && r.health === 0 && !r.reachesLog, "replied", "a relayed answer without a reply carries no report (incarnation 0, health 0, no log)");
}

export function memberEncodingLength(m: MemberMessage): number {
  const header = 4 + 1 + m.from.length + 1 + m.to.length + 12;
  const body = m.t === "ping" ? 0
    : m.t === "ack" ? 10
    : m.t === "ping-req" ? 1 + m.target.length + 1 + (isIpv4(m.address) ? 4 : 16) + 2
    : 1 + m.target.length + 1 + 9;
  return header + body + MEMBER_TAG_BYTES;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const name = (w: ByteWriter, s: string): ByteWriter => w.u8(s.length).bytes(ascii(s));
const incarnation = (w: ByteWriter, v: number): ByteWriter => w.u32(Math.floor(v / U32)).u32(v % U32);

function writeBody(w: ByteWriter, m: MemberMessage): void {
  if (m.t === "ack") incarnation(w, m.targetIncarnation).u8(m.health).u8(m.reachesLog ? 1 : 0);
  else if (m.t === "ping-req") {
    name(w, m.target);
    if (isIpv4(m.address)) w.u8(4).bytes(ipv4ToBytes(m.address, "address"));
    else w.u8(6).bytes(ipv6ToBytes(m.address, "address"));
    w.u16(m.port);
  } else if (m.t === "relayed") {
    name(w, m.target).u8((m.replied ? 1 : 0) | (m.reachesLog ? 2 : 0));
    incarnation(w, m.targetIncarnation).u8(m.health);
  }
}

export function encodeMemberInto(m: MemberMessage, keyId: number, sign: MemberSigner, buf: Uint8Array, offset = 0): number {
  validate(m, keyId);
  const w = new ByteWriter(buf, offset);
  w.u8(VERSION).u8(MEMBER_TYPES[m.t]).u16(keyId);
  name(name(w, m.from), m.to);
  incarnation(w, m.incarnation).u32(m.nonce);
  writeBody(w, m);
  const tag = sign(buf.subarray(offset, w.offset));
  check(tag.length === MEMBER_TAG_BYTES, "tag", `the signer returned ${tag.length} bytes, not ${MEMBER_TAG_BYTES}`);
  w.bytes(tag);
  return w.written;
}

export function encodeMember(m: MemberMessage, keyId: number, sign: MemberSigner): Uint8Array {
  const buf = new Uint8Array(memberEncodingLength(m));
  encodeMemberInto(m, keyId, sign, buf);
  return buf;
}

function readName(r: ByteReader): string {
  const at = r.offset;
  const text = String.fromCharCode(...r.bytesView(r.u8()));
  if (!NAME.test(text)) r.fail(MemberDecodeCode.badName, "a node name must be 1..253 printable ASCII characters", at);
  return text;
}

function readIncarnation(r: ByteReader): number {
  const at = r.offset;
  const high = r.u32();
  if (high >= 0x20_0000) r.fail(MemberDecodeCode.badIncarnation, "an incarnation above 2^53", at);
  return high * U32 + r.u32();
}

function readHealth(r: ByteReader): number {
  const at = r.offset;
  const health = r.u8();
  if (health > MAX_HEALTH_SCORE) r.fail(MemberDecodeCode.badHealth, `health ${health} is above ${MAX_HEALTH_SCORE}`, at);
  return health;
}

function readFlags(r: ByteReader, allowed: number): number {
  const at = r.offset;
  const flags = r.u8();
  if ((flags & ~allowed) !== 0) r.fail(MemberDecodeCode.badFlags, `flags 0x${flags.toString(16)} set bits other than 0x${allowed.toString(16)}`, at);
  return flags;
}

function readAddress(r: ByteReader): string {
  const at = r.offset;
  const family = r.u8();
  if (family === 4) return ipv4FromBytes(r.bytesView(4));
  if (family === 6) return ipv6FromBytes(r.bytesView(16));
  return r.fail(MemberDecodeCode.badFamily, `address family ${family} is neither 4 nor 6`, at);
}

function readBody(r: ByteReader, t: MemberMessage["t"], h: Header): MemberMessage {
  if (t === "ping") return { t, ...h };
  if (t === "ack") {
    const targetIncarnation = readIncarnation(r);
    const health = readHealth(r);
    return { t, ...h, targetIncarnation, health, reachesLog: readFlags(r, 1) === 1 };
  }
  const target = readName(r);
  if (t === "ping-req") {
    const address = readAddress(r);
    const at = r.offset;
    const port = r.u16();
    if (port === 0) r.fail(MemberDecodeCode.badPort, "port 0", at);
    return { t, ...h, target, address, port };
  }
  const flagsAt = r.offset;
  const flags = readFlags(r, 3);
  const targetIncarnation = readIncarnation(r);
  const health = readHealth(r);
  const replied = (flags & 1) === 1;
  if (!replied && (flags !== 0 || targetIncarnation !== 0 || health !== 0)) r.fail(MemberDecodeCode.silentWithReport, "a relayed answer without a reply carries a report", flagsAt);
  return { t, ...h, target, replied, targetIncarnation, health, reachesLog: (flags & 2) === 2 };
}

/** Decodes one datagram: the message fills it exactly. Throws DecodeError; says nothing about the tag's validity. */
export function decodeMember(bytes: Uint8Array, offset = 0): { value: SignedMember; bytesRead: number } {
  if (bytes.length - offset > MAX_MEMBER_BYTES) throw new DecodeError(MemberDecodeCode.tooLong, offset, `a membership probe of ${bytes.length - offset} bytes exceeds ${MAX_MEMBER_BYTES}`);
  const r = new ByteReader(bytes, offset);
  const version = r.u8();
  if (version !== VERSION) r.fail(MemberDecodeCode.badVersion, `version ${version}, expected ${VERSION}`, offset);
  const type = r.u8();
  const t = TYPE_NAMES.get(type);
  if (t === undefined) return r.fail(MemberDecodeCode.badType, `type ${type} is not a membership probe (3..6)`, offset + 1);
  const keyId = r.u16();
  const from = readName(r);
  const to = readName(r);
  const header: Header = { from, to, incarnation: readIncarnation(r), nonce: r.u32() };
  const message = readBody(r, t, header);
  const signed = bytes.subarray(offset, r.offset);
  const tag = r.bytesView(MEMBER_TAG_BYTES);
  if (r.remaining > 0) r.fail(MemberDecodeCode.trailingBytes, `${r.remaining} bytes after the tag`);
  return { value: { message, keyId, signed, tag }, bytesRead: r.offset - offset };
}
