// The BFD Control packet codec (RFC 5880 4.1, 6.8.6): a golden table both ways, an error table (hex -> code), the
// encode/decode invariants and "arbitrary bytes decode or throw DecodeError".
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BFD_STATES } from "../../src/protocols/bfd/constants.js";
import { BfdDecodeCode, decode, encode, encodeInto, encodingLength, type BfdControlPacket } from "../../src/protocols/bfd/controlPacket.js";
import { DecodeError, EncodeError, ReaderErrorCode } from "../../src/protocols/codec/errors.js";
import { catchError, hex, toHex } from "../support/bgp.js";

const base: BfdControlPacket = {
  diag: 0, state: "down", poll: false, final: false, controlPlaneIndependent: false, demand: false, detectMult: 3,
  myDiscriminator: 1, yourDiscriminator: 0, desiredMinTxUs: 1_000_000, requiredMinRxUs: 300_000, requiredMinEchoRxUs: 50_000,
};
const TAIL = "000f4240 000493e0 0000c350";

// prettier-ignore
const golden: ReadonlyArray<readonly [string, BfdControlPacket, string]> = [
  ["Down, first packet (Your Discriminator 0)", base, `20 40 03 18 00000001 00000000 ${TAIL}`],
  ["Init", { ...base, state: "init", yourDiscriminator: 0xdeadbeef }, `20 80 03 18 00000001 deadbeef ${TAIL}`],
  ["Up with Poll", { ...base, state: "up", poll: true, yourDiscriminator: 7 }, `20 e0 03 18 00000001 00000007 ${TAIL}`],
  ["Up with Final", { ...base, state: "up", final: true, yourDiscriminator: 7 }, `20 d0 03 18 00000001 00000007 ${TAIL}`],
  ["AdminDown, diag 7", { ...base, state: "adminDown", diag: 7 }, `27 00 03 18 00000001 00000000 ${TAIL}`],
  ["Down, diag 1 (detection time expired)", { ...base, diag: 1, yourDiscriminator: 9 }, `21 40 03 18 00000001 00000009 ${TAIL}`],
  ["C and D bits, Detect Mult 255, maximum values", { ...base, state: "up", controlPlaneIndependent: true, demand: true, detectMult: 255, myDiscriminator: 0xffffffff, yourDiscriminator: 0xffffffff, desiredMinTxUs: 0xffffffff, requiredMinRxUs: 0, requiredMinEchoRxUs: 0 }, "20 ca ff 18 ffffffff ffffffff ffffffff 00000000 00000000"],
  ["reserved diag 31", { ...base, diag: 31 }, `3f 40 03 18 00000001 00000000 ${TAIL}`],
  ["simple password authentication section", { ...base, auth: { type: 1, data: hex("01 6162") } }, `20 44 03 1d 00000001 00000000 ${TAIL} 01 05 016162`],
];

// prettier-ignore
const errors: ReadonlyArray<readonly [string, string, string]> = [
  ["version 0", `00 40 03 18 00000001 00000000 ${TAIL}`, BfdDecodeCode.badVersion],
  ["version 2", `40 40 03 18 00000001 00000000 ${TAIL}`, BfdDecodeCode.badVersion],
  ["Length 23", `20 40 03 17 00000001 00000000 ${TAIL}`, BfdDecodeCode.badLength],
  ["Length 0", `20 40 03 00 00000001 00000000 ${TAIL}`, BfdDecodeCode.badLength],
  ["A bit with Length 24", `20 44 03 18 00000001 00000000 ${TAIL}`, BfdDecodeCode.badLength],
  ["Length larger than the datagram", `20 40 03 20 00000001 00000000 ${TAIL}`, BfdDecodeCode.lengthExceedsPayload],
  ["datagram shorter than 24 octets", "20 40 03 18 00000001 00000000", BfdDecodeCode.lengthExceedsPayload],
  ["three octets", "20 40 03", ReaderErrorCode.Truncated],
  ["Detect Mult 0", `20 40 00 18 00000001 00000000 ${TAIL}`, BfdDecodeCode.zeroDetectMult],
  ["Multipoint bit", `20 41 03 18 00000001 00000000 ${TAIL}`, BfdDecodeCode.multipoint],
  ["My Discriminator 0", `20 40 03 18 00000000 00000000 ${TAIL}`, BfdDecodeCode.zeroMyDiscriminator],
  ["Your Discriminator 0 in Init", `20 80 03 18 00000001 00000000 ${TAIL}`, BfdDecodeCode.zeroYourDiscriminator],
  ["Your Discriminator 0 in Up", `20 c0 03 18 00000001 00000000 ${TAIL}`, BfdDecodeCode.zeroYourDiscriminator],
  ["Poll and Final", `20 f0 03 18 00000001 00000007 ${TAIL}`, BfdDecodeCode.pollAndFinal],
  ["Auth Len 1", `20 44 03 1a 00000001 00000000 ${TAIL} 01 01`, BfdDecodeCode.badAuthLength],
  ["Auth Len short of Length", `20 44 03 1d 00000001 00000000 ${TAIL} 01 04 016162`, BfdDecodeCode.badAuthLength],
  ["Auth Len past Length", `20 44 03 1d 00000001 00000000 ${TAIL} 01 06 016162`, BfdDecodeCode.badAuthLength],
];

const packetArb: fc.Arbitrary<BfdControlPacket> = fc
  .record({
    diag: fc.integer({ min: 0, max: 31 }),
    state: fc.constantFrom(...BFD_STATES),
    pf: fc.constantFrom("none", "poll", "final"),
    controlPlaneIndependent: fc.boolean(),
    demand: fc.boolean(),
    detectMult: fc.integer({ min: 1, max: 255 }),
    myDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
    yourDiscriminator: fc.integer({ min: 1, max: 0xffffffff }),
    zeroYour: fc.boolean(),
    desiredMinTxUs: fc.nat({ max: 0xffffffff }),
    requiredMinRxUs: fc.nat({ max: 0xffffffff }),
    requiredMinEchoRxUs: fc.nat({ max: 0xffffffff }),
    auth: fc.option(fc.record({ type: fc.integer({ min: 0, max: 255 }), data: fc.uint8Array({ maxLength: 20 }) }), { nil: undefined }),
  })
  .map(({ pf, zeroYour, auth, ...p }) => ({
    ...p,
    poll: pf === "poll",
    final: pf === "final",
    yourDiscriminator: zeroYour && (p.state === "down" || p.state === "adminDown") ? 0 : p.yourDiscriminator,
    ...(auth === undefined ? {} : { auth }),
  }));

describe("BFD control packet codec", () => {
  it.each(golden)("encodes %s", (_name, packet, wire) => {
    expect(toHex(encode(packet))).toBe(toHex(hex(wire)));
  });

  it.each(golden)("decodes %s", (_name, packet, wire) => {
    expect(decode(hex(wire))).toEqual({ value: packet, bytesRead: hex(wire).length });
  });

  it.each(errors)("rejects %s", (_name, wire, code) => {
    const err = catchError(() => decode(hex(wire)));
    expect(err).toBeInstanceOf(DecodeError);
    expect((err as DecodeError).code).toBe(code);
  });

  it("reads only Length octets at an offset and ignores what follows", () => {
    const wire = hex(`ffff 20 40 03 18 00000001 00000000 ${TAIL} eeee`);
    expect(decode(wire, 2)).toEqual({ value: base, bytesRead: 24 });
  });

  it("refuses to encode what it would refuse to decode", () => {
    for (const [field, bad] of [["detectMult", { detectMult: 0 }], ["myDiscriminator", { myDiscriminator: 0 }], ["poll", { poll: true, final: true }], ["yourDiscriminator", { state: "up" as const }], ["diag", { diag: 32 }]] as const) {
      const err = catchError(() => encode({ ...base, ...bad }));
      expect(err).toBeInstanceOf(EncodeError);
      expect((err as EncodeError).field).toBe(field);
    }
  });

  it("encode(p).length === encodingLength(p), decode(encode(p)) deep-equals p, encodeInto writes the same at an offset", () => {
    fc.assert(
      fc.property(packetArb, (p) => {
        const bytes = encode(p);
        expect(bytes.length).toBe(encodingLength(p));
        expect(decode(bytes)).toEqual({ value: p, bytesRead: bytes.length });
        const buf = new Uint8Array(bytes.length + 3);
        expect(encodeInto(p, buf, 3)).toBe(bytes.length);
        expect(toHex(buf.subarray(3))).toBe(toHex(bytes));
      }),
      { numRuns: 1000 },
    );
  });

  it("arbitrary bytes either decode or throw DecodeError, never anything else", () => {
    const check = (bytes: Uint8Array, offset: number): void => {
      try {
        decode(bytes, offset);
      } catch (err) {
        if (!(err instanceof DecodeError)) throw err;
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(70), check), { numRuns: 3000 });
    // Mostly valid headers, so the checks after the first octets are reached too.
    const nearlyValid = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 22, maxLength: 40 }));
    fc.assert(fc.property(nearlyValid, ([second, length, rest]) => check(Uint8Array.from([0x20, second, 3, length, ...rest]), 0)), { numRuns: 3000 });
  });
});
