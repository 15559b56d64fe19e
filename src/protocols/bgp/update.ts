// UPDATE (RFC 4271 4.3): Withdrawn Routes Length (2), Withdrawn Routes, Total Path Attribute Length (2), Path
// Attributes, NLRI (the rest). IPv4 unicast travels in the classic fields; IPv6 in MP_REACH_NLRI/MP_UNREACH_NLRI.
//
// Decoder checks (RFC 4271 6.3 as revised by RFC 7606): section lengths that overrun the message -> 3/1 Malformed
// Attribute List, and prefixes in the Withdrawn Routes or NLRI field that do not parse -> 3/10, both session resets
// (the routes cannot be located, RFC 7606 3, 5.3); attribute errors per attributeDecoder.ts; ORIGIN, AS_PATH (and
// NEXT_HOP when classic NLRI is present) missing from an UPDATE that announces routes -> treat-as-withdraw
// (RFC 7606 3). Errors that do not reset the session are listed in `errors` (updateErrors.ts).
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
import { type UpdateError, familyKey, treatedAsWithdraw } from "./updateErrors.js";

export interface UpdateMessage {
  readonly type: "update";
  /** IPv4 prefixes withdrawn in the classic field. */
  readonly withdrawn: readonly string[];
  readonly attributes: PathAttributes;
  /** IPv4 prefixes announced in the classic field. */
  readonly nlri: readonly string[];
  /** Decoded only, never encoded: RFC 7606 errors handled without a session reset (absent when there were none). */
  readonly errors?: readonly UpdateError[];
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
  const errors: UpdateError[] = [];
  const { attributes, present } = readAttributes(r.sub(attrsLength), opts, errors);
  const nlri = readPrefixes(r, 4, "NLRI");
  checkMandatory(present, nlri.length > 0, attrsAt, errors);
  const value: UpdateMessage = { type: "update", withdrawn, attributes, nlri, ...(errors.length > 0 ? { errors } : {}) };
  return { value, bytesRead: length };
}

/** RFC 7606 3: a well-known mandatory attribute absent from an UPDATE that announces routes -> treat-as-withdraw. */
function checkMandatory(present: ReadonlySet<number>, classicNlri: boolean, at: number, errors: UpdateError[]): void {
  if (!classicNlri && !present.has(AttrType.mpReachNlri)) return;
  const missing = [
    ...(present.has(AttrType.origin) ? [] : ["ORIGIN"]),
    ...(present.has(AttrType.asPath) ? [] : ["AS_PATH"]),
    ...(classicNlri && !present.has(AttrType.nextHop) ? ["NEXT_HOP"] : []),
  ];
  if (missing.length > 0) errors.push({ kind: "missingWellKnown", handling: "treatAsWithdraw", detail: `UPDATE with routes lacks ${missing.join(", ")}`, offset: at });
}

/** End-of-RIB (RFC 4724 2): an empty UPDATE for IPv4 unicast; an UPDATE with only an empty MP_UNREACH otherwise. */
export function endOfRib(afi: UnicastAfi): UpdateMessage {
  if (afi === Afi.ipv4) return { type: "update", withdrawn: [], attributes: {}, nlri: [] };
  return { type: "update", withdrawn: [], attributes: { mpUnreach: { afi, safi: Safi.unicast, withdrawn: [] } }, nlri: [] };
}

/** The AFI whose End-of-RIB this UPDATE is, or undefined for any other UPDATE. */
export function endOfRibAfi(m: UpdateMessage): UnicastAfi | undefined {
  if (m.withdrawn.length > 0 || m.nlri.length > 0 || m.errors !== undefined) return undefined; // a broken MP attribute is not one
  const keys = Object.keys(m.attributes);
  if (keys.length === 0) return Afi.ipv4;
  const u = m.attributes.mpUnreach;
  return keys.length === 1 && u !== undefined && u.withdrawn.length === 0 ? u.afi : undefined;
}

export interface RouteCounts {
  readonly announced: number;
  readonly withdrawn: number;
  /** Routes of a disabled AFI/SAFI (RFC 4760 7): neither announced nor withdrawn. */
  readonly ignored: number;
}

/**
 * Routes an UPDATE announces and withdraws, across the classic fields and the MP attributes (for counting), given the
 * "afi/safi" keys disabled for the session. Under treat-as-withdraw the announcements count as withdrawals.
 */
export function routeCounts(m: UpdateMessage, disabled: ReadonlySet<string> = new Set()): RouteCounts {
  const off = (afi: number): boolean => disabled.has(familyKey(afi, Safi.unicast));
  const reach = m.attributes.mpReach;
  const unreach = m.attributes.mpUnreach;
  let announced = 0;
  let withdrawn = 0;
  let ignored = 0;
  const add = (afi: number, n: number, kind: "announced" | "withdrawn"): void => {
    if (off(afi)) ignored += n;
    else if (kind === "announced") announced += n;
    else withdrawn += n;
  };
  const announce = treatedAsWithdraw(m.errors) ? "withdrawn" : "announced";
  add(Afi.ipv4, m.nlri.length, announce);
  if (reach !== undefined) add(reach.afi, reach.nlri.length, announce);
  add(Afi.ipv4, m.withdrawn.length, "withdrawn");
  if (unreach !== undefined) add(unreach.afi, unreach.withdrawn.length, "withdrawn");
  return { announced, withdrawn, ignored };
}
