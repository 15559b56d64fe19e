// The BFD Control packet (RFC 5880 4.1) and the packet-only reception checks of RFC 5880 6.8.6: version, Length,
// Detect Mult 0, the Multipoint bit, My Discriminator 0, Your Discriminator 0 outside Down/AdminDown, and P with F
// (6.8.7). Checks that need a session (which discriminator is ours, whether authentication is in use) are in
// reception.ts. The authentication section is carried raw: vipmesh uses none, and a packet with the A bit is dropped
// there, but the codec still reads it so the drop is counted for the right reason.
import { ByteReader } from "../codec/reader.js";
import { DecodeError, EncodeError } from "../codec/errors.js";
import { ByteWriter } from "../codec/writer.js";
import { BFD_CONTROL_LENGTH, BFD_CONTROL_LENGTH_WITH_AUTH, BFD_STATES, BFD_VERSION, BfdStateCode, MAX_DIAG, type BfdState } from "./constants.js";

export interface BfdAuthSection {
  readonly type: number;
  /** Everything after Auth Type and Auth Len. */
  readonly data: Uint8Array;
}

export interface BfdControlPacket {
  readonly diag: number;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  readonly controlPlaneIndependent: boolean;
  readonly demand: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  /** Microseconds, as on the wire. */
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
  readonly auth?: BfdAuthSection;
}

export const BfdDecodeCode = {
  badVersion: "BFD_BAD_VERSION",
  badLength: "BFD_BAD_LENGTH",
  lengthExceedsPayload: "BFD_LENGTH_EXCEEDS_PAYLOAD",
  zeroDetectMult: "BFD_ZERO_DETECT_MULT",
  multipoint: "BFD_MULTIPOINT",
  zeroMyDiscriminator: "BFD_ZERO_MY_DISCRIMINATOR",
  zeroYourDiscriminator: "BFD_ZERO_YOUR_DISCRIMINATOR",
  pollAndFinal: "BFD_POLL_AND_FINAL",
  badAuthLength: "BFD_BAD_AUTH_LENGTH",
} as const;

const FLAG = { poll: 0x20, final: 0x10, cpi: 0x08, auth: 0x04, demand: 0x02, multipoint: 0x01 } as const;
const U32_MAX = 0xffff_ffff;

export function encodingLength(p: BfdControlPacket): number {
  return p.auth === undefined ? BFD_CONTROL_LENGTH : BFD_CONTROL_LENGTH + 2 + p.auth.data.length;
}

function check(ok: boolean, code: string, field: string, message: string): void {
  if (!ok) throw new EncodeError(code, field, message);
}

const isU32 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v <= U32_MAX;

function validate(p: BfdControlPacket): void {
  check(Number.isInteger(p.diag) && p.diag >= 0 && p.diag <= MAX_DIAG, "BFD_BAD_DIAG", "diag", `${p.diag} is not 0..${MAX_DIAG}`);
  check(Number.isInteger(p.detectMult) && p.detectMult >= 1 && p.detectMult <= 255, BfdDecodeCode.zeroDetectMult, "detectMult", `${p.detectMult} is not 1..255`);
  check(isU32(p.myDiscriminator) && p.myDiscriminator !== 0, BfdDecodeCode.zeroMyDiscriminator, "myDiscriminator", `${p.myDiscriminator} is not a non-zero 32-bit value`);
  check(isU32(p.yourDiscriminator), "BFD_BAD_DISCRIMINATOR", "yourDiscriminator", `${p.yourDiscriminator} is not a 32-bit value`);
  check(p.yourDiscriminator !== 0 || p.state === "down" || p.state === "adminDown", BfdDecodeCode.zeroYourDiscriminator, "yourDiscriminator", `0 in state ${p.state}`);
  check(!(p.poll && p.final), BfdDecodeCode.pollAndFinal, "poll", "Poll and Final both set");
  for (const f of ["desiredMinTxUs", "requiredMinRxUs", "requiredMinEchoRxUs"] as const) check(isU32(p[f]), "BFD_BAD_INTERVAL", f, `${p[f]} is not a 32-bit value`);
  if (p.auth !== undefined) {
    check(Number.isInteger(p.auth.type) && p.auth.type >= 0 && p.auth.type <= 255, "BFD_BAD_AUTH_TYPE", "auth.type", `${p.auth.type} is not 0..255`);
    check(p.auth.data.length <= 253, BfdDecodeCode.badAuthLength, "auth.data", `${p.auth.data.length} octets do not fit Auth Len`);
  }
}

export function encodeInto(p: BfdControlPacket, buf: Uint8Array, offset = 0): number {
  validate(p);
  const flags = (p.poll ? FLAG.poll : 0) | (p.final ? FLAG.final : 0) | (p.controlPlaneIndependent ? FLAG.cpi : 0) | (p.auth ? FLAG.auth : 0) | (p.demand ? FLAG.demand : 0);
  const w = new ByteWriter(buf, offset);
  w.u8((BFD_VERSION << 5) | p.diag).u8((BfdStateCode[p.state] << 6) | flags).u8(p.detectMult).u8(encodingLength(p));
  w.u32(p.myDiscriminator).u32(p.yourDiscriminator).u32(p.desiredMinTxUs).u32(p.requiredMinRxUs).u32(p.requiredMinEchoRxUs);
  if (p.auth !== undefined) w.u8(p.auth.type).u8(2 + p.auth.data.length).bytes(p.auth.data);
  return w.written;
}

export function encode(p: BfdControlPacket): Uint8Array {
  const buf = new Uint8Array(encodingLength(p));
  encodeInto(p, buf, 0);
  return buf;
}

/**
 * One Control packet starting at `offset`; `bytes` ends where the UDP payload ends. Bytes after the packet's Length
 * are not read (bytesRead is Length). Throws DecodeError with a BfdDecodeCode or a reader code.
 */
export function decode(bytes: Uint8Array, offset = 0): { value: BfdControlPacket; bytesRead: number } {
  const r = new ByteReader(bytes, offset);
  const start = r.offset;
  const first = r.u8();
  if (first >> 5 !== BFD_VERSION) r.fail(BfdDecodeCode.badVersion, `version ${first >> 5}, expected ${BFD_VERSION}`, start);
  const second = r.u8();
  const detectMult = r.u8();
  const lengthAt = r.offset;
  const length = r.u8();
  const hasAuth = (second & FLAG.auth) !== 0;
  const minimum = hasAuth ? BFD_CONTROL_LENGTH_WITH_AUTH : BFD_CONTROL_LENGTH;
  if (length < minimum) r.fail(BfdDecodeCode.badLength, `Length ${length} is below ${minimum}${hasAuth ? " (A bit set)" : ""}`, lengthAt);
  if (length > bytes.length - start) r.fail(BfdDecodeCode.lengthExceedsPayload, `Length ${length} exceeds the ${bytes.length - start} octets received`, lengthAt);
  const body = new ByteReader(bytes, r.offset, start + length);
  if (detectMult === 0) r.fail(BfdDecodeCode.zeroDetectMult, "Detect Mult 0", lengthAt - 1);
  if ((second & FLAG.multipoint) !== 0) r.fail(BfdDecodeCode.multipoint, "Multipoint bit set", start + 1);
  const state = BFD_STATES[second >> 6] as BfdState;
  const poll = (second & FLAG.poll) !== 0;
  const final = (second & FLAG.final) !== 0;
  if (poll && final) r.fail(BfdDecodeCode.pollAndFinal, "Poll and Final both set", start + 1);
  const myDiscriminator = body.u32();
  if (myDiscriminator === 0) r.fail(BfdDecodeCode.zeroMyDiscriminator, "My Discriminator 0", body.offset - 4);
  const yourDiscriminator = body.u32();
  if (yourDiscriminator === 0 && state !== "down" && state !== "adminDown") {
    r.fail(BfdDecodeCode.zeroYourDiscriminator, `Your Discriminator 0 in state ${state}`, body.offset - 4);
  }
  const packet: BfdControlPacket = {
    diag: first & 0x1f,
    state,
    poll,
    final,
    controlPlaneIndependent: (second & FLAG.cpi) !== 0,
    demand: (second & FLAG.demand) !== 0,
    detectMult,
    myDiscriminator,
    yourDiscriminator,
    desiredMinTxUs: body.u32(),
    requiredMinRxUs: body.u32(),
    requiredMinEchoRxUs: body.u32(),
  };
  return { value: hasAuth ? { ...packet, auth: decodeAuth(body, length) } : packet, bytesRead: length };
}

/** The authentication section fills the rest of the packet: Auth Len must be Length - 24, at least 2. */
function decodeAuth(body: ByteReader, length: number): BfdAuthSection {
  const type = body.u8();
  const authLenAt = body.offset;
  const authLen = body.u8();
  if (authLen < 2 || BFD_CONTROL_LENGTH + authLen !== length) {
    throw new DecodeError(BfdDecodeCode.badAuthLength, authLenAt, `Auth Len ${authLen} does not fill the ${length - BFD_CONTROL_LENGTH} octets after the mandatory section`);
  }
  return { type, data: body.bytesCopy(authLen - 2) };
}
