// The direct speaker-to-speaker probe (docs/design.md "Fencing"): "can you still reach the log, and when did you last
// hear me?" and its answer, authenticated with an HMAC-SHA256 tag over every byte before it. The codec stays pure: the
// caller hands in the function that computes the tag, and decoding returns the signed bytes and the tag to check.
//
// Layout (network byte order):
//   u8 version (2) | u8 type (1 probe, 2 answer) | u16 key id
//   u8 length + sender node name | u8 length + recipient node name
//   u32 + u32 asker's incarnation (high, low) | u32 asker's nonce
//   answer only: u32 answerer's log age (ms) | u32 how long the answerer has not heard the asker (ms)
//   32 bytes tag
import { ByteReader } from "../codec/reader.js";
import { DecodeError, EncodeError } from "../codec/errors.js";
import { ByteWriter } from "../codec/writer.js";

export type ProbeRequest = {
  readonly t: "probe";
  readonly from: string;
  readonly to: string;
  /** The asker's incarnation (its start time in ms): a restarted asker's nonces never repeat an old one's. */
  readonly incarnation: number;
  /** The asker's round counter within its incarnation. */
  readonly nonce: number;
};

export type ProbeAnswer = {
  readonly t: "answer";
  readonly from: string;
  readonly to: string;
  /** Echoed from the probe answered. */
  readonly incarnation: number;
  readonly nonce: number;
  readonly logAgeMs: number;
  readonly askerSilentMs: number;
};

export type ProbeMessage = ProbeRequest | ProbeAnswer;

/** The probe as read from the wire: the tag still has to be checked against `signed` with the key `keyId` names. */
export type SignedProbe = { readonly message: ProbeMessage; readonly keyId: number; readonly signed: Uint8Array; readonly tag: Uint8Array };

/** Computes the tag over the bytes given (HMAC-SHA256 with the sending key, in the adapter). */
export type ProbeSigner = (signed: Uint8Array) => Uint8Array;

const PROBE_VERSION = 2;
export const PROBE_TAG_BYTES = 32;
export const MAX_PROBE_BYTES = 4 + 2 * 254 + 12 + 8 + PROBE_TAG_BYTES;

export const ProbeDecodeCode = {
  badVersion: "PROBE_BAD_VERSION",
  badType: "PROBE_BAD_TYPE",
  badName: "PROBE_BAD_NAME",
  badIncarnation: "PROBE_BAD_INCARNATION",
  trailingBytes: "PROBE_TRAILING_BYTES",
  tooLong: "PROBE_TOO_LONG",
} as const;

const TYPE = { probe: 1, answer: 2 } as const;
const U32 = 0x1_0000_0000;
const NAME = /^[\x21-\x7e]{1,253}$/;

const isU32 = (v: number): boolean => Number.isInteger(v) && v >= 0 && v < U32;

function check(ok: boolean, field: string, message: string): void {
  if (!ok) throw new EncodeError("PROBE_BAD_FIELD", field, message);
}

function validate(m: ProbeMessage, keyId: number): void {
  check(Number.isInteger(keyId) && keyId >= 0 && keyId <= 0xffff, "keyId", `${keyId} is not 0..65535`);
  for (const f of ["from", "to"] as const) check(NAME.test(m[f]), f, `${JSON.stringify(m[f])} is not 1..253 printable ASCII characters`);
  check(Number.isSafeInteger(m.incarnation) && m.incarnation >= 0, "incarnation", `${m.incarnation} is not a whole number below 2^53`);
  check(isU32(m.nonce), "nonce", `${m.nonce} is not a 32-bit value`);
  if (m.t === "answer") for (const f of ["logAgeMs", "askerSilentMs"] as const) check(isU32(m[f]), f, `${m[f]} is not whole milliseconds below 2^32`);
}

export function encodingLength(m: ProbeMessage): number {
  return 4 + 1 + m.from.length + 1 + m.to.length + 12 + (m.t === "answer" ? 8 : 0) + PROBE_TAG_BYTES;
}

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

export function encodeInto(m: ProbeMessage, keyId: number, sign: ProbeSigner, buf: Uint8Array, offset = 0): number {
  validate(m, keyId);
  const w = new ByteWriter(buf, offset);
  w.u8(PROBE_VERSION).u8(TYPE[m.t]).u16(keyId);
  w.u8(m.from.length).bytes(ascii(m.from)).u8(m.to.length).bytes(ascii(m.to));
  w.u32(Math.floor(m.incarnation / U32)).u32(m.incarnation % U32).u32(m.nonce);
  if (m.t === "answer") w.u32(m.logAgeMs).u32(m.askerSilentMs);
  const tag = sign(buf.subarray(offset, w.offset));
  check(tag.length === PROBE_TAG_BYTES, "tag", `the signer returned ${tag.length} bytes, not ${PROBE_TAG_BYTES}`);
  w.bytes(tag);
  return w.written;
}

export function encodeProbe(m: ProbeMessage, keyId: number, sign: ProbeSigner): Uint8Array {
  const buf = new Uint8Array(encodingLength(m));
  encodeInto(m, keyId, sign, buf);
  return buf;
}

function readName(r: ByteReader): string {
  const at = r.offset;
  const text = String.fromCharCode(...r.bytesView(r.u8()));
  if (!NAME.test(text)) r.fail(ProbeDecodeCode.badName, "a node name must be 1..253 printable ASCII characters", at);
  return text;
}

/** Decodes one datagram: the message fills it exactly. Throws DecodeError; says nothing about the tag's validity. */
export function decodeProbe(bytes: Uint8Array, offset = 0): { value: SignedProbe; bytesRead: number } {
  if (bytes.length - offset > MAX_PROBE_BYTES) throw new DecodeError(ProbeDecodeCode.tooLong, offset, `a probe of ${bytes.length - offset} bytes exceeds ${MAX_PROBE_BYTES}`);
  const r = new ByteReader(bytes, offset);
  const version = r.u8();
  if (version !== PROBE_VERSION) r.fail(ProbeDecodeCode.badVersion, `version ${version}, expected ${PROBE_VERSION}`, offset);
  const type = r.u8();
  if (type !== TYPE.probe && type !== TYPE.answer) r.fail(ProbeDecodeCode.badType, `type ${type} is neither probe (1) nor answer (2)`, offset + 1);
  const keyId = r.u16();
  const from = readName(r);
  const to = readName(r);
  const incarnationAt = r.offset;
  const high = r.u32();
  if (high >= 0x20_0000) r.fail(ProbeDecodeCode.badIncarnation, "an incarnation above 2^53", incarnationAt);
  const incarnation = high * U32 + r.u32();
  const nonce = r.u32();
  const message: ProbeMessage = type === TYPE.probe
    ? { t: "probe", from, to, incarnation, nonce }
    : { t: "answer", from, to, incarnation, nonce, logAgeMs: r.u32(), askerSilentMs: r.u32() };
  const signed = bytes.subarray(offset, r.offset);
  const tag = r.bytesView(PROBE_TAG_BYTES);
  if (r.remaining > 0) r.fail(ProbeDecodeCode.trailingBytes, `${r.remaining} bytes after the tag`);
  return { value: { message, keyId, signed, tag }, bytesRead: r.offset - offset };
}
