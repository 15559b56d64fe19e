// ROUTE-REFRESH (RFC 2918 3): AFI (2), Reserved (1), SAFI (1); Length exactly 23 (we never negotiate ORF, RFC 5291).
// RFC 7313 reuses the Reserved octet as a subtype (0 normal request, 1 BoRR, 2 EoRR); it is kept as `subtype`.
import { ByteWriter } from "../codec/writer.js";
import { HEADER_LENGTH, MessageType } from "./constants.js";
import { openMessage, writeHeader } from "./header.js";
import { checkUint } from "./uint.js";

export interface RouteRefreshMessage {
  readonly type: "routeRefresh";
  readonly afi: number;
  readonly safi: number;
  /** RFC 7313 message subtype: 0 = refresh request (RFC 2918), 1 = BoRR, 2 = EoRR. */
  readonly subtype: number;
}

const LENGTH = HEADER_LENGTH + 4;

export function encodingLength(_m: RouteRefreshMessage): number {
  return LENGTH;
}

export function encodeInto(m: RouteRefreshMessage, buf: Uint8Array, offset = 0): number {
  checkUint(m.afi, 0xffff, "afi");
  checkUint(m.safi, 0xff, "safi");
  checkUint(m.subtype, 0xff, "subtype");
  const w = new ByteWriter(buf, offset);
  writeHeader(w, LENGTH, MessageType.routeRefresh);
  w.u16(m.afi).u8(m.subtype).u8(m.safi);
  return w.written;
}

export function encode(m: RouteRefreshMessage): Uint8Array {
  const buf = new Uint8Array(encodingLength(m));
  encodeInto(m, buf, 0);
  return buf;
}

export function decode(bytes: Uint8Array, offset = 0): { value: RouteRefreshMessage; bytesRead: number } {
  const { body, length } = openMessage(bytes, offset, MessageType.routeRefresh);
  const afi = body.u16();
  const subtype = body.u8();
  const safi = body.u8();
  return { value: { type: "routeRefresh", afi, safi, subtype }, bytesRead: length };
}
