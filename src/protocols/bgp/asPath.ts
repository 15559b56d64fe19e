// AS_PATH and AS4_PATH values (RFC 4271 4.3, RFC 6793, RFC 5065 confederation segments): a list of segments, each
// Type (1), Count (1, number of ASNs), then Count ASNs of 2 or 4 octets. Between two 4-octet-capable speakers
// AS_PATH carries 4-octet ASNs; otherwise 2-octet ASNs with AS_TRANS, and the real path in AS4_PATH.
import { EncodeError } from "../codec/errors.js";
import type { ByteReader } from "../codec/reader.js";
import type { ByteWriter } from "../codec/writer.js";
import { AS_TRANS, AsPathSegmentCode, MAX_ASN, type AsPathSegmentType } from "./constants.js";
import { ErrorCode, UpdateSubcode, bgpFail, within } from "./notificationCodes.js";

export interface AsPathSegment {
  readonly type: AsPathSegmentType;
  readonly asns: readonly number[];
}

const MAX_SEGMENT_ASNS = 255;

export function asPathLength(segments: readonly AsPathSegment[], width: 2 | 4): number {
  return segments.reduce((n, s) => n + 2 + width * s.asns.length, 0);
}

export function writeAsPath(w: ByteWriter, segments: readonly AsPathSegment[], width: 2 | 4, field: string): void {
  for (const s of segments) {
    const code = AsPathSegmentCode[s.type] as number | undefined;
    if (code === undefined) throw new EncodeError("BGP_BAD_AS_PATH", field, `unknown segment type "${String(s.type)}"`);
    if (s.asns.length === 0 || s.asns.length > MAX_SEGMENT_ASNS) {
      throw new EncodeError("BGP_BAD_AS_PATH", field, `a segment holds 1..255 ASNs, not ${s.asns.length}`);
    }
    w.u8(code).u8(s.asns.length);
    for (const asn of s.asns) {
      const max = width === 2 ? 0xffff : MAX_ASN;
      if (!Number.isInteger(asn) || asn < 0 || asn > max) {
        throw new EncodeError("BGP_BAD_AS_PATH", field, `ASN ${asn} does not fit ${width} octets`);
      }
      if (width === 2) w.u16(asn);
      else w.u32(asn);
    }
  }
}

const SEGMENT_TYPES = new Map<number, AsPathSegmentType>(
  Object.entries(AsPathSegmentCode).map(([name, code]) => [code, name as AsPathSegmentType]),
);

/** Reads segments until the attribute ends; any inconsistency is 3/11 Malformed AS_PATH. */
export function readAsPath(r: ByteReader, width: 2 | 4): AsPathSegment[] {
  const segments: AsPathSegment[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const { code, count } = within(ErrorCode.updateMessage, UpdateSubcode.malformedAsPath, "AS_PATH segment header", () => ({ code: r.u8(), count: r.u8() }));
    const type = SEGMENT_TYPES.get(code);
    if (type === undefined) bgpFail(ErrorCode.updateMessage, UpdateSubcode.malformedAsPath, at, `AS_PATH segment type ${code}`);
    if (count === 0) bgpFail(ErrorCode.updateMessage, UpdateSubcode.malformedAsPath, at, "AS_PATH segment with no ASNs");
    if (count * width > r.remaining) {
      bgpFail(ErrorCode.updateMessage, UpdateSubcode.malformedAsPath, at, `AS_PATH segment of ${count} ASNs needs ${count * width} octets, ${r.remaining} left`);
    }
    const asns: number[] = [];
    for (let i = 0; i < count; i++) asns.push(width === 2 ? r.u16() : r.u32());
    segments.push({ type, asns });
  }
  return segments;
}

/** One AS_SEQUENCE (split into 255-ASN segments) for a path such as [own, own, own] after prepending. */
export function asSequence(asns: readonly number[]): AsPathSegment[] {
  const out: AsPathSegment[] = [];
  for (let i = 0; i < asns.length; i += MAX_SEGMENT_ASNS) out.push({ type: "sequence", asns: asns.slice(i, i + MAX_SEGMENT_ASNS) });
  return out;
}

/** The 2-octet form of a path for a peer without the 4-octet AS capability: ASNs > 65535 become AS_TRANS. */
export function toTwoOctetPath(segments: readonly AsPathSegment[]): { asPath: AsPathSegment[]; as4Path?: AsPathSegment[] } {
  const needsAs4 = segments.some((s) => s.asns.some((a) => a > 0xffff));
  const asPath = segments.map((s) => ({ type: s.type, asns: s.asns.map((a) => (a > 0xffff ? AS_TRANS : a)) }));
  return needsAs4 ? { asPath, as4Path: segments.map((s) => ({ type: s.type, asns: [...s.asns] })) } : { asPath };
}
