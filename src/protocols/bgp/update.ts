// UPDATE (RFC 4271 4.3): Withdrawn Routes Length (2), Withdrawn Routes, Total Path Attribute Length (2), Path
// Attributes, NLRI (the rest). IPv4 unicast travels in the classic fields; IPv6 in MP_REACH_NLRI/MP_UNREACH_NLRI.
//
// Decoder checks (RFC 4271 6.3): section lengths that overrun the message -> 3/1 Malformed Attribute List; bad
// prefixes -> 3/10; attribute errors per attributes.ts; ORIGIN, AS_PATH (and NEXT_HOP when classic NLRI is present)
// missing from an UPDATE that announces routes -> 3/3 Missing Well-known Attribute with the missing type as data.
// The encoder refuses to produce a message over 4096 octets (the packer in adjRibOut.ts splits before that).
import { EncodeError } from "../codec/errors.js";
import { ByteWriter } from "../codec/writer.js";
import { Afi, AttrType, HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType, Safi } from "./constants.js";
import { readAttributes } from "./attributeDecoder.js";
import { type AttributeOptions, type PathAttributes, attributesLength, writeAttributes } from "./attributes.js";
import { openMessage, writeHeader } from "./header.js";
import type { UnicastAfi } from "./mpNlri.js";
import { ErrorCode, UpdateSubcode, bgpFail } from "./notificationCodes.js";
import { prefixesEncodingLength, readPrefixes, writePrefixes } from "./prefix.js";

export interface UpdateMessage {
  readonly type: "update";
  /** IPv4 prefixes withdrawn in the classic field. */
  readonly withdrawn: readonly string[];
  readonly attributes: PathAttributes;
  /** IPv4 prefixes announced in the classic field. */
  readonly nlri: readonly string[];
}

export const DEFAULT_UPDATE_OPTIONS: AttributeOptions = { fourOctetAs: true };

/** Octets of an UPDATE without any route or attribute: header + the two length fields. */
export const UPDATE_OVERHEAD = HEADER_LENGTH + 4;

export function encodingLength(m: UpdateMessage, opts: AttributeOptions = DEFAULT_UPDATE_OPTIONS): number {
  return UPDATE_OVERHEAD + prefixesEncodingLength(m.withdrawn) + attributesLength(m.attributes, opts) + prefixesEncodingLength(m.nlri);
}

export function encodeInto(m: UpdateMessage, buf: Uint8Array, offset = 0, opts: AttributeOptions = DEFAULT_UPDATE_OPTIONS): number {
  const withdrawnLength = prefixesEncodingLength(m.withdrawn);
  const attrsLength = attributesLength(m.attributes, opts);
  const total = UPDATE_OVERHEAD + withdrawnLength + attrsLength + prefixesEncodingLength(m.nlri);
  if (total > MAX_MESSAGE_LENGTH) throw new EncodeError("BGP_MESSAGE_TOO_LONG", "update", `UPDATE of ${total} octets exceeds ${MAX_MESSAGE_LENGTH}`);
  const w = new ByteWriter(buf, offset);
  writeHeader(w, total, MessageType.update);
  w.u16(withdrawnLength);
  writePrefixes(w, m.withdrawn, 4, "withdrawn");
  w.u16(attrsLength);
  writeAttributes(w, m.attributes, opts);
  writePrefixes(w, m.nlri, 4, "nlri");
  return w.written;
}

export function encode(m: UpdateMessage, opts: AttributeOptions = DEFAULT_UPDATE_OPTIONS): Uint8Array {
  const buf = new Uint8Array(encodingLength(m, opts));
  encodeInto(m, buf, 0, opts);
  return buf;
}

export function decode(bytes: Uint8Array, offset = 0, opts: AttributeOptions = DEFAULT_UPDATE_OPTIONS): { value: UpdateMessage; bytesRead: number } {
  const { body: r, length } = openMessage(bytes, offset, MessageType.update);
  const withdrawnAt = r.offset;
  const withdrawnLength = r.u16();
  if (withdrawnLength + 2 > r.remaining) {
    bgpFail(ErrorCode.updateMessage, UpdateSubcode.malformedAttributeList, withdrawnAt, `withdrawn routes length ${withdrawnLength} overruns the UPDATE`);
  }
  const withdrawn = readPrefixes(r.sub(withdrawnLength), 4, "withdrawn routes");
  const attrsAt = r.offset;
  const attrsLength = r.u16();
  if (attrsLength > r.remaining) {
    bgpFail(ErrorCode.updateMessage, UpdateSubcode.malformedAttributeList, attrsAt, `path attribute length ${attrsLength} overruns the UPDATE`);
  }
  const attributes = readAttributes(r.sub(attrsLength), opts);
  const nlri = readPrefixes(r, 4, "NLRI");
  checkMandatory(attributes, nlri.length > 0, attrsAt);
  return { value: { type: "update", withdrawn, attributes, nlri }, bytesRead: length };
}

function checkMandatory(a: PathAttributes, classicNlri: boolean, at: number): void {
  const mpReach = a.mpReach !== undefined || (a.unknown ?? []).some((u) => u.typeCode === AttrType.mpReachNlri);
  if (!classicNlri && !mpReach) return;
  const missing = (code: number, name: string): never =>
    bgpFail(ErrorCode.updateMessage, UpdateSubcode.missingWellKnownAttribute, at, `UPDATE with routes lacks ${name}`, Uint8Array.of(code));
  if (a.origin === undefined) missing(AttrType.origin, "ORIGIN");
  if (a.asPath === undefined) missing(AttrType.asPath, "AS_PATH");
  if (classicNlri && a.nextHop === undefined) missing(AttrType.nextHop, "NEXT_HOP");
}

/** End-of-RIB (RFC 4724 2): an empty UPDATE for IPv4 unicast; an UPDATE with only an empty MP_UNREACH otherwise. */
export function endOfRib(afi: UnicastAfi): UpdateMessage {
  if (afi === Afi.ipv4) return { type: "update", withdrawn: [], attributes: {}, nlri: [] };
  return { type: "update", withdrawn: [], attributes: { mpUnreach: { afi, safi: Safi.unicast, withdrawn: [] } }, nlri: [] };
}

/** The AFI whose End-of-RIB this UPDATE is, or undefined for any other UPDATE. */
export function endOfRibAfi(m: UpdateMessage): UnicastAfi | undefined {
  if (m.withdrawn.length > 0 || m.nlri.length > 0) return undefined;
  const keys = Object.keys(m.attributes);
  if (keys.length === 0) return Afi.ipv4;
  const u = m.attributes.mpUnreach;
  return keys.length === 1 && u !== undefined && u.withdrawn.length === 0 ? u.afi : undefined;
}

/** Routes an UPDATE announces and withdraws, across the classic fields and the MP attributes (for counting). */
export function routeCounts(m: UpdateMessage): { announced: number; withdrawn: number } {
  return {
    announced: m.nlri.length + (m.attributes.mpReach?.nlri.length ?? 0),
    withdrawn: m.withdrawn.length + (m.attributes.mpUnreach?.withdrawn.length ?? 0),
  };
}
