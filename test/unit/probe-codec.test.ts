import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHmac } from "node:crypto";
import { DecodeError, EncodeError } from "../../src/protocols/codec/errors.js";
import { decodeProbe, encodeProbe, encodingLength, MAX_PROBE_BYTES, PROBE_TAG_BYTES, type ProbeMessage, type ProbeSigner } from "../../src/protocols/fence/probeCodec.js";

// The authenticated fencing probe: golden bytes both ways (tags from `openssl dgst -sha256 -mac HMAC` over the
// body, key 32 bytes of 0xab), errors by code, and arbitrary bytes that decode or throw DecodeError, nothing else.

const KEY = Buffer.alloc(32, 0xab);
const hmac: ProbeSigner = (bytes) => createHmac("sha256", KEY).update(bytes).digest();
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const INCARNATION = 0x18c_1234_5678;

const golden: [string, ProbeMessage, string][] = [
  [
    "probe from node1 to node2, key 1",
    { t: "probe", from: "node1", to: "node2", incarnation: INCARNATION, nonce: 7 },
    "0201 0001 056e6f646531 056e6f646532 0000018c 12345678 00000007" + "bdab42d7dc0f5274af9cbbd226aeaf27790b5a5061ba3de605987ed8a5167e61",
  ],
  [
    "answer from node2 echoing node1's probe: log 12 ms old, node1 silent 240 ms",
    { t: "answer", from: "node2", to: "node1", incarnation: INCARNATION, nonce: 7, logAgeMs: 12, askerSilentMs: 240 },
    "0202 0001 056e6f646532 056e6f646531 0000018c 12345678 00000007 0000000c 000000f0" + "d656b80dbc9b0440ea310097ec2af6759ad07854b9f9a8b389538fdd5348e373",
  ],
];

describe("probe codec: golden", () => {
  it.each(golden)("%s encodes to its bytes and back", (_name, message, wire) => {
    const encoded = encodeProbe(message, 1, hmac);
    expect(hex(encoded)).toBe(wire.replace(/\s+/g, ""));
    expect(encoded.length).toBe(encodingLength(message));
    const { value, bytesRead } = decodeProbe(bytes(wire));
    expect(value.message).toEqual(message);
    expect(value.keyId).toBe(1);
    expect(bytesRead).toBe(encoded.length);
    expect(hex(value.tag)).toBe(hex(hmac(value.signed)));
    expect(value.signed.length).toBe(encoded.length - PROBE_TAG_BYTES);
  });
});

describe("probe codec: errors", () => {
  const probe = hex(encodeProbe({ t: "probe", from: "a", to: "b", incarnation: 1, nonce: 1 }, 1, hmac));
  it.each([
    ["empty", "", "TRUNCATED"],
    ["version 1 (the unauthenticated JSON probe)", "7b2276223a31", "PROBE_BAD_VERSION"],
    ["unknown type 3", "02030001" + probe.slice(8), "PROBE_BAD_TYPE"],
    ["empty sender name", "0201000100", "PROBE_BAD_NAME"],
    ["a sender name with a space", "02010001026120", "PROBE_BAD_NAME"],
    ["a name longer than the datagram", "0201000109616263", "TRUNCATED"],
    ["an incarnation above 2^53", "020100010161016200200000" + "00000000" + "00000001" + "00".repeat(32), "PROBE_BAD_INCARNATION"],
    ["the tag cut short", probe.slice(0, -2), "TRUNCATED"],
    ["a byte after the tag", probe + "00", "PROBE_TRAILING_BYTES"],
    ["longer than any probe", "02" + "00".repeat(MAX_PROBE_BYTES), "PROBE_TOO_LONG"],
  ])("%s -> %s", (_name, wire, code) => {
    expect(() => decodeProbe(bytes(wire))).toThrow(DecodeError);
    try {
      decodeProbe(bytes(wire));
    } catch (err) {
      expect((err as DecodeError).code).toBe(code);
    }
  });

  it.each([
    ["a key id above 65535", { t: "probe", from: "a", to: "b", incarnation: 1, nonce: 1 }, 65_536, /keyId/],
    ["a non-ASCII node name", { t: "probe", from: "nœud", to: "b", incarnation: 1, nonce: 1 }, 1, /from/],
    ["a fractional log age", { t: "answer", from: "a", to: "b", incarnation: 1, nonce: 1, logAgeMs: 1.5, askerSilentMs: 0 }, 1, /logAgeMs/],
    ["a nonce above 2^32", { t: "probe", from: "a", to: "b", incarnation: 1, nonce: 2 ** 32 }, 1, /nonce/],
  ] as const)("refuses to encode %s", (_name, message, keyId, field) => {
    expect(() => encodeProbe(message as ProbeMessage, keyId, hmac)).toThrow(EncodeError);
    expect(() => encodeProbe(message as ProbeMessage, keyId, hmac)).toThrow(field);
  });

  it("refuses a signer that returns a tag of the wrong length", () => {
    expect(() => encodeProbe({ t: "probe", from: "a", to: "b", incarnation: 1, nonce: 1 }, 1, () => new Uint8Array(16))).toThrow(/tag/);
  });
});

describe("probe codec: properties", () => {
  const name = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const message: fc.Arbitrary<ProbeMessage> = fc.oneof(
    fc.record({ t: fc.constant("probe" as const), from: name, to: name, incarnation: fc.maxSafeNat(), nonce: u32 }),
    fc.record({ t: fc.constant("answer" as const), from: name, to: name, incarnation: fc.maxSafeNat(), nonce: u32, logAgeMs: u32, askerSilentMs: u32 }),
  );

  it("decode(encode(m)) is m, and the length is encodingLength(m)", () => {
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 0xffff }), (m, keyId) => {
        const encoded = encodeProbe(m, keyId, hmac);
        const { value } = decodeProbe(encoded);
        expect(encoded.length).toBe(encodingLength(m));
        expect(value.message).toEqual(m);
        expect(value.keyId).toBe(keyId);
      }),
    );
  });

  it("arbitrary bytes decode or throw DecodeError, nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 700 }), (b) => {
        try {
          decodeProbe(b);
        } catch (err) {
          return err instanceof DecodeError;
        }
        return true;
      }),
    );
  });

  it("bytes that start like a probe decode or throw DecodeError", () => {
    fc.assert(
      fc.property(fc.constantFrom(1, 2), fc.uint8Array({ maxLength: 120 }), (type, rest) => {
        try {
          decodeProbe(Uint8Array.from([2, type, 0, 1, ...rest]));
        } catch (err) {
          return err instanceof DecodeError;
        }
        return true;
      }),
    );
  });
});
