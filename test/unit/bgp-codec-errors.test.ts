// Error table: malformed hex -> the NOTIFICATION code/subcode (and data) RFC 4271 section 6 names for it, carried on
// the BgpDecodeError so the session FSM can send it. Messages are built from valid bodies with one field broken.
import { describe, expect, it } from "vitest";
import { DecodeError, EncodeError } from "../../src/protocols/codec/errors.js";
import { decode, encode, type BgpMessage } from "../../src/protocols/bgp/message.js";
import { BgpDecodeError, decodeErrorCode, notificationName } from "../../src/protocols/bgp/notificationCodes.js";
import { MARKER, attr, catchError, hex, msg, toHex, updateBody } from "../support/bgp.js";

const ORIGIN = attr(0x40, 1, "00");
const AS_PATH = attr(0x40, 2, "02 01 0000fde9");
const NEXT_HOP = attr(0x40, 3, "c6120001");
const NLRI = "20 c61200c8";
const update = (attrs: string, nlri = NLRI, withdrawn = ""): string => msg(2, updateBody(withdrawn, attrs, nlri));
const OPEN_FIXED = "04 fde9 005a c6120001";
const open = (params: string): string => msg(1, `${OPEN_FIXED} ${(params.replace(/\s+/g, "").length / 2).toString(16).padStart(2, "0")} ${params}`);
const MP_V6 = (nlri: string, nh = "20010db8000000000000000000000001", nhLen = "10"): string => `0002 01 ${nhLen} ${nh} 00 ${nlri}`;

interface ErrorCase {
  readonly name: string;
  readonly hex: string;
  readonly code: number;
  readonly subcode: number;
  /** Expected NOTIFICATION data, when the RFC says what it holds. */
  readonly data?: string;
}

// prettier-ignore
const errors: readonly ErrorCase[] = [
  // Message header (RFC 4271 6.1)
  { name: "marker not all ones", hex: `${"ff".repeat(15)}fe 0013 04`, code: 1, subcode: 1 },
  { name: "Length 18, below the header size", hex: `${MARKER} 0012 04`, code: 1, subcode: 2, data: "0012" },
  { name: "Length 4097, above the maximum", hex: `${MARKER} 1001 04`, code: 1, subcode: 2, data: "1001" },
  { name: "KEEPALIVE with a body (Length 20)", hex: `${MARKER} 0014 04 00`, code: 1, subcode: 2, data: "0014" },
  { name: "OPEN shorter than 29", hex: `${MARKER} 001c 01 04 fde9 005a c6120001`, code: 1, subcode: 2, data: "001c" },
  { name: "UPDATE shorter than 23", hex: `${MARKER} 0016 02 0000 00`, code: 1, subcode: 2, data: "0016" },
  { name: "NOTIFICATION shorter than 21 cannot be answered", hex: `${MARKER} 0014 03 06`, code: -1, subcode: -1 },
  { name: "ROUTE-REFRESH with an ORF part (Length 24)", hex: `${MARKER} 0018 05 0001 00 01 00`, code: 1, subcode: 2, data: "0018" },
  { name: "Length larger than the bytes present", hex: `${MARKER} 0020 04`, code: 1, subcode: 2, data: "0020" },
  { name: "fewer than 19 octets", hex: `${MARKER} 00`, code: 1, subcode: 2 },
  { name: "message type 6", hex: `${MARKER} 0013 06`, code: 1, subcode: 3, data: "06" },
  { name: "message type 0", hex: `${MARKER} 0013 00`, code: 1, subcode: 3, data: "00" },
  // OPEN (RFC 4271 6.2, RFC 5492)
  { name: "OPEN version 3", hex: msg(1, "03 fde9 005a c6120001 00"), code: 2, subcode: 1, data: "0004" },
  { name: "OPEN version 5", hex: msg(1, "05 fde9 005a c6120001 00"), code: 2, subcode: 1, data: "0004" },
  { name: "OPEN optional parameters length larger than the rest", hex: msg(1, `${OPEN_FIXED} 05 02 02 02 00`), code: 2, subcode: 0 },
  { name: "OPEN optional parameters length smaller than the rest", hex: msg(1, `${OPEN_FIXED} 00 02 02 02 00`), code: 2, subcode: 0 },
  { name: "OPEN parameter overruns the parameters", hex: msg(1, `${OPEN_FIXED} 04 02 05 02 00`), code: 2, subcode: 0 },
  { name: "OPEN deprecated Authentication parameter (type 1)", hex: open("01 02 0000"), code: 2, subcode: 4 },
  { name: "OPEN capability overruns its parameter", hex: open("02 04 41 04 0000"), code: 2, subcode: 0 },
  { name: "OPEN multiprotocol capability of length 3", hex: open("02 05 01 03 000100"), code: 2, subcode: 0 },
  { name: "OPEN 4-octet AS capability of length 2", hex: open("02 04 41 02 fde9"), code: 2, subcode: 0 },
  { name: "OPEN route refresh capability with a value", hex: open("02 03 02 01 00"), code: 2, subcode: 0 },
  { name: "OPEN graceful restart capability of length 3", hex: open("02 05 40 03 0078 00"), code: 2, subcode: 0 },
  // UPDATE: the errors RFC 7606 still resets the session for (the rest are in bgp-update-errors.test.ts)
  { name: "withdrawn routes length overruns the message", hex: msg(2, "00ff 0000"), code: 3, subcode: 1 },
  { name: "path attribute length overruns the message", hex: msg(2, `0000 00ff ${ORIGIN}`), code: 3, subcode: 1 },
  { name: "unrecognized well-known attribute 99", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x40, 99, "01")}`), code: 3, subcode: 2, data: "40630101" },
  { name: "MP_REACH_NLRI twice", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x80, 14, MP_V6("00"))} ${attr(0x80, 14, MP_V6("00"))}`, ""), code: 3, subcode: 1 },
  { name: "MP_UNREACH_NLRI twice", hex: update(`${attr(0x80, 15, "0002 01")} ${attr(0x80, 15, "0002 01")}`, ""), code: 3, subcode: 1 },
  { name: "MP_REACH_NLRI overruns the attribute section", hex: update(`${ORIGIN} ${AS_PATH} 80 0e 30 0002 01 10`, ""), code: 3, subcode: 5, data: "800e30000201 10" },
  { name: "MP_UNREACH_NLRI cut inside the AFI", hex: update(attr(0x80, 15, "00"), ""), code: 3, subcode: 9 },
  { name: "NLRI prefix length 33", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, "21 c61200c800"), code: 3, subcode: 10 },
  { name: "NLRI prefix cut short", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, "20 c612"), code: 3, subcode: 10 },
  { name: "withdrawn prefix length 40", hex: update("", "", "28 c61200c800"), code: 3, subcode: 10 },
];

describe("BGP decode error table", () => {
  it.each(errors)("$name -> $code/$subcode", ({ hex: h, code, subcode, data }) => {
    const err = catchError(() => decode(hex(h)));
    expect(err).toBeInstanceOf(BgpDecodeError);
    const e = err as BgpDecodeError;
    if (code < 0) {
      expect(e.notification).toBeNull();
      return;
    }
    expect({ code: e.notification?.code, subcode: e.notification?.subcode }).toEqual({ code, subcode });
    expect(e.code).toBe(decodeErrorCode(code, subcode));
    if (data !== undefined) expect(toHex(e.notification!.data)).toBe(data.replace(/\s+/g, ""));
    expect(e.offset).toBeGreaterThanOrEqual(0);
    expect(e.offset).toBeLessThanOrEqual(hex(h).length);
  });

  it("names codes and subcodes, including unknown ones", () => {
    expect(notificationName(3, 11)).toBe("updateMessage/malformedAsPath");
    expect(notificationName(6, 2)).toBe("cease/administrativeShutdown");
    expect(notificationName(4, 0)).toBe("holdTimerExpired/0");
    expect(notificationName(99, 1)).toBe("code99/1");
    expect(decodeErrorCode(1, 2)).toBe("BGP_MESSAGE_HEADER_BAD_MESSAGE_LENGTH");
  });

  it("reports the offset of the broken field", () => {
    const bad = hex(update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP}`, "21 c61200c800"));
    expect((catchError(() => decode(bad)) as DecodeError).offset).toBe(19 + 4 + 4 + 9 + 7); // header, two lengths, ORIGIN, AS_PATH, NEXT_HOP: the NLRI prefix
    const badVersion = hex(msg(1, "03 fde9 005a c6120001 00"));
    expect((catchError(() => decode(badVersion)) as DecodeError).offset).toBe(19);
  });
});

// prettier-ignore
const encodeErrors: ReadonlyArray<{ name: string; message: BgpMessage; code: string; field: string }> = [
  { name: "non-canonical prefix (host bits set)", message: { type: "update", withdrawn: ["198.18.0.1/24"], attributes: {}, nlri: [] }, code: "BGP_BAD_PREFIX", field: "withdrawn" },
  { name: "prefix length 33", message: { type: "update", withdrawn: [], attributes: { origin: "igp", asPath: [], nextHop: "198.18.0.1" }, nlri: ["198.18.0.0/33"] }, code: "BGP_BAD_PREFIX", field: "nlri" },
  { name: "IPv6 prefix in the classic NLRI", message: { type: "update", withdrawn: [], attributes: { origin: "igp", asPath: [], nextHop: "198.18.0.1" }, nlri: ["2001:db8::/32"] }, code: "BGP_BAD_PREFIX", field: "nlri" },
  { name: "uncompressed IPv6 prefix", message: { type: "update", withdrawn: [], attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: ["2001:0db8::/32"] } }, nlri: [] }, code: "BGP_BAD_PREFIX", field: "mpUnreach.withdrawn" },
  { name: "community 65536:1", message: { type: "update", withdrawn: [], attributes: { communities: ["65536:1"] }, nlri: [] }, code: "BGP_BAD_COMMUNITY", field: "communities" },
  { name: "large community with two parts", message: { type: "update", withdrawn: [], attributes: { largeCommunities: ["1:2"] }, nlri: [] }, code: "BGP_BAD_COMMUNITY", field: "largeCommunities" },
  { name: "4-octet ASN in AS_PATH to a 2-octet peer", message: { type: "update", withdrawn: [], attributes: { asPath: [{ type: "sequence", asns: [4200000001] }] }, nlri: [] }, code: "BGP_BAD_AS_PATH", field: "asPath" },
  { name: "empty AS_PATH segment", message: { type: "update", withdrawn: [], attributes: { asPath: [{ type: "sequence", asns: [] }] }, nlri: [] }, code: "BGP_BAD_AS_PATH", field: "asPath" },
  { name: "IPv4 next hop in IPv6 MP_REACH", message: { type: "update", withdrawn: [], attributes: { mpReach: { afi: 2, safi: 1, nextHop: "198.18.0.1", nlri: [] } }, nlri: [] }, code: "BGP_BAD_NEXT_HOP", field: "mpReach.nextHop" },
  { name: "unknown attribute reusing a known type code", message: { type: "update", withdrawn: [], attributes: { origin: "igp", unknown: [{ flags: 0xc0, typeCode: 1, value: hex("00") }] }, nlri: [] }, code: "BGP_DUPLICATE_ATTRIBUTE", field: "unknown" },
  { name: "UPDATE over 4096 octets", message: { type: "update", withdrawn: Array.from({ length: 1100 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`), attributes: {}, nlri: [] }, code: "BGP_MESSAGE_TOO_LONG", field: "update" },
  { name: "OPEN ASN above 65535 (use AS_TRANS)", message: { type: "open", asn: 65536, holdTime: 90, bgpId: "198.18.0.1", capabilities: [] }, code: "BGP_BAD_FIELD", field: "asn" },
  { name: "OPEN BGP Identifier not dotted decimal", message: { type: "open", asn: 65001, holdTime: 90, bgpId: "node1", capabilities: [] }, code: "INVALID_IPV4", field: "bgpId" },
  { name: "OPEN capabilities over 255 octets", message: { type: "open", asn: 65001, holdTime: 90, bgpId: "198.18.0.1", capabilities: Array.from({ length: 50 }, () => ({ kind: "fourOctetAs" as const, asn: 1 })) }, code: "BGP_PARAMETERS_TOO_LONG", field: "capabilities" },
  { name: "NOTIFICATION data over 4075 octets", message: { type: "notification", code: 6, subcode: 2, data: new Uint8Array(4076) }, code: "BGP_MESSAGE_TOO_LONG", field: "data" },
];

describe("BGP encode error table", () => {
  it.each(encodeErrors)("encode refuses $name ($code in $field)", ({ message, code, field }) => {
    const opts = field === "asPath" && code === "BGP_BAD_AS_PATH" && JSON.stringify(message).includes("4200000001") ? { fourOctetAs: false } : undefined;
    const err = catchError(() => encode(message, opts));
    expect(err).toBeInstanceOf(EncodeError);
    expect(err).toMatchObject({ code, field });
  });
});
