import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ARP_FRAME_LENGTH,
  arpReply,
  decode,
  encode,
  encodeInto,
  encodingLength,
  gratuitousArp,
} from "../../src/protocols/arp/codec.js";
import type { ArpFrame } from "../../src/protocols/arp/codec.js";
import { DecodeError, EncodeError } from "../../src/protocols/codec/errors.js";

const hex = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

const HOST_A = "02:00:00:00:00:01";
const HOST_B = "02:00:00:00:00:02";
const NODE = "0a:1b:2c:3d:4e:5f";
const VIP = "198.18.0.200";

// prettier-ignore
const golden: ReadonlyArray<{ name: string; frame: ArpFrame; hex: string }> = [
  {
    name: "broadcast who-has request",
    frame: { ethDst: "ff:ff:ff:ff:ff:ff", ethSrc: HOST_A, op: "request", senderMac: HOST_A, senderIp: "198.18.0.1", targetMac: "00:00:00:00:00:00", targetIp: VIP },
    hex: "ffffffffffff 020000000001 0806 0001 0800 06 04 0001 020000000001 c6120001 000000000000 c61200c8",
  },
  {
    name: "unicast is-at reply",
    frame: { ethDst: HOST_A, ethSrc: HOST_B, op: "reply", senderMac: HOST_B, senderIp: VIP, targetMac: HOST_A, targetIp: "198.18.0.1" },
    hex: "020000000001 020000000002 0806 0001 0800 06 04 0002 020000000002 c61200c8 020000000001 c6120001",
  },
  {
    name: "gratuitous ARP, request form (RFC 5227 announcement)",
    frame: { ethDst: "ff:ff:ff:ff:ff:ff", ethSrc: NODE, op: "request", senderMac: NODE, senderIp: VIP, targetMac: "00:00:00:00:00:00", targetIp: VIP },
    hex: "ffffffffffff 0a1b2c3d4e5f 0806 0001 0800 06 04 0001 0a1b2c3d4e5f c61200c8 000000000000 c61200c8",
  },
  {
    name: "gratuitous ARP, reply form (arping -A)",
    frame: { ethDst: "ff:ff:ff:ff:ff:ff", ethSrc: NODE, op: "reply", senderMac: NODE, senderIp: VIP, targetMac: NODE, targetIp: VIP },
    hex: "ffffffffffff 0a1b2c3d4e5f 0806 0001 0800 06 04 0002 0a1b2c3d4e5f c61200c8 0a1b2c3d4e5f c61200c8",
  },
  {
    name: "DAD probe (sender IP 0.0.0.0), Ethernet source differs from ARP sender",
    frame: { ethDst: "ff:ff:ff:ff:ff:ff", ethSrc: HOST_B, op: "request", senderMac: HOST_A, senderIp: "0.0.0.0", targetMac: "00:00:00:00:00:00", targetIp: "199.19.255.254" },
    hex: "ffffffffffff 020000000002 0806 0001 0800 06 04 0001 020000000001 00000000 000000000000 c713fffe",
  },
];

describe("ARP codec golden table", () => {
  it.each(golden)("$name encodes to its hex", ({ frame, hex: h }) => {
    expect(toHex(encode(frame))).toBe(h.replace(/\s+/g, ""));
  });

  it.each(golden)("$name decodes from its hex", ({ frame, hex: h }) => {
    expect(decode(hex(h))).toEqual({ value: frame, bytesRead: ARP_FRAME_LENGTH });
  });

  it.each(golden)("$name decodes with 18 bytes of Ethernet padding (60-byte minimum frame)", ({ frame, hex: h }) => {
    const padded = new Uint8Array(60);
    padded.set(hex(h));
    expect(decode(padded)).toEqual({ value: frame, bytesRead: ARP_FRAME_LENGTH });
  });

  it("decodes at an offset and reports bytesRead relative to it", () => {
    const first = golden[0]!;
    const buf = new Uint8Array(5 + ARP_FRAME_LENGTH);
    buf.set(hex(first.hex), 5);
    expect(decode(buf, 5)).toEqual({ value: first.frame, bytesRead: ARP_FRAME_LENGTH });
  });

  it("encodeInto writes at the offset and returns the bytes written", () => {
    const first = golden[0]!;
    const buf = new Uint8Array(50).fill(0xee);
    expect(encodeInto(first.frame, buf, 3)).toBe(ARP_FRAME_LENGTH);
    expect(toHex(buf.subarray(3, 45))).toBe(first.hex.replace(/\s+/g, ""));
    expect(buf[2]).toBe(0xee);
    expect(buf[45]).toBe(0xee);
  });

  it("builders produce the golden frames", () => {
    expect(gratuitousArp(VIP, NODE, "request")).toEqual(golden[2]!.frame);
    expect(gratuitousArp(VIP, NODE, "reply")).toEqual(golden[3]!.frame);
    expect(arpReply(golden[0]!.frame, HOST_B)).toEqual(golden[1]!.frame);
  });
});

const REQUEST = golden[0]!.hex.replace(/\s+/g, "");
const patch = (at: number, bytes: string): string => REQUEST.slice(0, at * 2) + bytes + REQUEST.slice(at * 2 + bytes.length);

// prettier-ignore
const errors: ReadonlyArray<{ name: string; hex: string; code: string; offset: number }> = [
  { name: "empty buffer", hex: "", code: "TRUNCATED", offset: 0 },
  { name: "partial Ethernet header", hex: REQUEST.slice(0, 20), code: "TRUNCATED", offset: 6 },
  { name: "Ethernet header only", hex: REQUEST.slice(0, 28), code: "TRUNCATED", offset: 14 },
  { name: "ARP cut inside the target IP", hex: REQUEST.slice(0, 82), code: "TRUNCATED", offset: 38 },
  { name: "IPv4 ethertype", hex: patch(12, "0800"), code: "ARP_BAD_ETHERTYPE", offset: 12 },
  { name: "802.1Q-tagged frame", hex: patch(12, "8100"), code: "ARP_BAD_ETHERTYPE", offset: 12 },
  { name: "IEEE 802 hardware type", hex: patch(14, "0006"), code: "ARP_BAD_HTYPE", offset: 14 },
  { name: "IPv6 protocol type", hex: patch(16, "86dd"), code: "ARP_BAD_PTYPE", offset: 16 },
  { name: "hardware length 8", hex: patch(18, "08"), code: "ARP_BAD_HLEN", offset: 18 },
  { name: "protocol length 16", hex: patch(19, "10"), code: "ARP_BAD_PLEN", offset: 19 },
  { name: "opcode 0", hex: patch(20, "0000"), code: "ARP_BAD_OP", offset: 20 },
  { name: "RARP request opcode 3", hex: patch(20, "0003"), code: "ARP_BAD_OP", offset: 20 },
  { name: "InARP request opcode 8", hex: patch(20, "0008"), code: "ARP_BAD_OP", offset: 20 },
];

describe("ARP codec error table", () => {
  it.each(errors)("$name -> $code at $offset", ({ hex: h, code, offset }) => {
    const err = catchError(() => decode(hex(h)));
    expect(err).toBeInstanceOf(DecodeError);
    expect(err).toMatchObject({ code, offset });
  });

  it("rejects a start offset past the end", () => {
    expect(catchError(() => decode(hex(REQUEST), 43))).toMatchObject({ code: "BAD_OFFSET", offset: 43 });
  });

  it.each([
    { name: "uppercase MAC", patch: { ethDst: "FF:FF:FF:FF:FF:FF" }, code: "INVALID_MAC", field: "ethDst" },
    { name: "short MAC", patch: { senderMac: "02:00:00:00:01" }, code: "INVALID_MAC", field: "senderMac" },
    { name: "octet > 255", patch: { targetIp: "198.18.0.256" }, code: "INVALID_IPV4", field: "targetIp" },
    { name: "leading zero octet", patch: { senderIp: "198.018.0.1" }, code: "INVALID_IPV4", field: "senderIp" },
    { name: "unknown op", patch: { op: "nak" }, code: "ARP_BAD_OP", field: "op" },
  ])("encode refuses $name ($code in $field)", ({ patch: p, code, field }) => {
    const bad = { ...golden[0]!.frame, ...p } as ArpFrame;
    const err = catchError(() => encode(bad));
    expect(err).toBeInstanceOf(EncodeError);
    expect(err).toMatchObject({ code, field });
  });

  it("encodeInto refuses a buffer that is too small, writing nothing", () => {
    const buf = new Uint8Array(41);
    expect(() => encodeInto(golden[0]!.frame, buf)).toThrow(RangeError);
  });
});

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(":"));
const ipArb = fc.ipV4();
const frameArb: fc.Arbitrary<ArpFrame> = fc.record({
  ethDst: macArb,
  ethSrc: macArb,
  op: fc.constantFrom("request" as const, "reply" as const),
  senderMac: macArb,
  senderIp: ipArb,
  targetMac: macArb,
  targetIp: ipArb,
});

describe("ARP codec properties", () => {
  it("encode(m).length === encodingLength(m) and decode(encode(m)) deep-equals m", () => {
    fc.assert(
      fc.property(frameArb, (m) => {
        const bytes = encode(m);
        expect(bytes.length).toBe(encodingLength(m));
        expect(decode(bytes)).toEqual({ value: m, bytesRead: bytes.length });
      }),
    );
  });

  it("arbitrary bytes either decode or throw DecodeError, never anything else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.nat(90), (bytes, offset) => {
        decodeOrDecodeError(bytes, offset);
      }),
      { numRuns: 2000 },
    );
  });

  it("a valid frame with any one byte changed decodes to a frame that re-encodes to those bytes, or throws DecodeError", () => {
    fc.assert(
      fc.property(frameArb, fc.nat(ARP_FRAME_LENGTH - 1), fc.integer({ min: 0, max: 255 }), (m, at, value) => {
        const bytes = encode(m);
        bytes[at] = value;
        const result = decodeOrDecodeError(bytes, 0);
        if (result !== undefined) expect(toHex(encode(result))).toBe(toHex(bytes));
      }),
      { numRuns: 2000 },
    );
  });
});

function decodeOrDecodeError(bytes: Uint8Array, offset: number): ArpFrame | undefined {
  try {
    return decode(bytes, offset).value;
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    return undefined;
  }
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}
