import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { createHmac } from "node:crypto";
import { DecodeError, EncodeError } from "../../src/protocols/codec/errors.js";
import { decodeProbe } from "../../src/protocols/fence/probeCodec.js";
import { decodeMember, encodeMember, isMemberType, MAX_MEMBER_BYTES, MEMBER_TAG_BYTES, memberEncodingLength, type MemberMessage, type MemberSigner } from "../../src/protocols/membership/memberCodec.js";

// The membership probes: golden bytes both ways (tags from `openssl dgst -sha256 -mac HMAC -macopt hexkey:ab..ab`
// over the body), every malformed input rejected with its own code, and arbitrary bytes that decode or throw
// DecodeError, nothing else.

const KEY = Buffer.alloc(32, 0xab);
const hmac: MemberSigner = (bytes) => createHmac("sha256", KEY).update(bytes).digest();
const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const bytes = (h: string): Uint8Array => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ""), "hex"));
const INC = 0x18c_1234_5678;
const TARGET_INC = 0x18c_0000_0099;

const golden: [string, MemberMessage, string][] = [
  [
    "ping from node1 to node2",
    { t: "ping", from: "node1", to: "node2", incarnation: INC, nonce: 7 },
    "0203 0001 056e6f646531 056e6f646532 0000018c 12345678 00000007" + "63b912ec0b5b1c9e6b1bcb79d46d33f86142918866f02dc37dad7fdb96728796",
  ],
  [
    "ack from node2: incarnation ..99, health 3, reaches the log",
    { t: "ack", from: "node2", to: "node1", incarnation: INC, nonce: 7, targetIncarnation: TARGET_INC, health: 3, reachesLog: true },
    "0204 0001 056e6f646532 056e6f646531 0000018c 12345678 00000007 0000018c 00000099 03 01" + "ebf38c8ed2bd9d836731e208504d92afe84c90978701384e6ef4124babedf646",
  ],
  [
    "ping-request: node1 asks node3 to probe node2 at 198.18.0.2:7834",
    { t: "ping-req", from: "node1", to: "node3", incarnation: INC, nonce: 8, target: "node2", address: "198.18.0.2", port: 7834 },
    "0205 0001 056e6f646531 056e6f646533 0000018c 12345678 00000008 056e6f646532 04 c6120002 1e9a" + "e4fee257367bd5c352858e32b9270c4e6f082796533399959e40eb67e24ebfae",
  ],
  [
    "ping-request for an IPv6 address",
    { t: "ping-req", from: "node1", to: "node3", incarnation: INC, nonce: 10, target: "node2", address: "2001:db8::2", port: 7834 },
    "0205 0001 056e6f646531 056e6f646533 0000018c 12345678 0000000a 056e6f646532 06 20010db8000000000000000000000002 1e9a" + "a5d6dc77560e30bdceb3fbdcd4a9ad9b6d0dfc1999a6fa01165746627ba9e763",
  ],
  [
    "relayed answer: node2 replied to node3",
    { t: "relayed", from: "node3", to: "node1", incarnation: INC, nonce: 8, target: "node2", replied: true, targetIncarnation: TARGET_INC, health: 3, reachesLog: true },
    "0206 0001 056e6f646533 056e6f646531 0000018c 12345678 00000008 056e6f646532 03 0000018c 00000099 03" + "cf1199d941e825ff14153124a23c6330543b5f3af88ffc111cf7e4457553e0fd",
  ],
  [
    "relayed answer: node2 did not reply",
    { t: "relayed", from: "node3", to: "node1", incarnation: INC, nonce: 9, target: "node2", replied: false, targetIncarnation: 0, health: 0, reachesLog: false },
    "0206 0001 056e6f646533 056e6f646531 0000018c 12345678 00000009 056e6f646532 00 00000000 00000000 00" + "f6dfb6a9852c638ce9831f94ca96f545891b2d98e255900bb0d2f7522033858d",
  ],
];

describe("membership codec: golden", () => {
  it.each(golden)("%s encodes to its bytes and back", (_name, message, wire) => {
    const encoded = encodeMember(message, 1, hmac);
    expect(hex(encoded)).toBe(wire.replace(/\s+/g, ""));
    expect(encoded.length).toBe(memberEncodingLength(message));
    const { value, bytesRead } = decodeMember(bytes(wire));
    expect(value.message).toEqual(message);
    expect(value.keyId).toBe(1);
    expect(bytesRead).toBe(encoded.length);
    expect(hex(value.tag)).toBe(hex(hmac(value.signed)));
    expect(value.signed.length).toBe(encoded.length - MEMBER_TAG_BYTES);
  });

  it("shares fencing's version byte but not its types: each codec refuses the other's datagrams", () => {
    const ping = encodeMember({ t: "ping", from: "a", to: "b", incarnation: 1, nonce: 1 }, 1, hmac);
    expect(isMemberType(ping[1])).toBe(true);
    expect(isMemberType(1)).toBe(false);
    expect(isMemberType(2)).toBe(false);
    expect(() => decodeProbe(ping)).toThrow(/PROBE_BAD_TYPE/);
    expect(() => decodeMember(bytes("0201 0001 0161 0162 00000000 00000001 00000001" + "00".repeat(32)))).toThrow(/MEMBER_BAD_TYPE/);
  });
});

const TAG = "00".repeat(32);
const header = (type: string, nonce = "00000001"): string => `02${type} 0001 0161 0162 00000000 00000001 ${nonce}`;

describe("membership codec: errors", () => {
  const ping = hex(encodeMember({ t: "ping", from: "a", to: "b", incarnation: 1, nonce: 1 }, 1, hmac));
  it.each([
    ["empty", "", "TRUNCATED"],
    ["version 1", "0103" + ping.slice(4), "MEMBER_BAD_VERSION"],
    ["type 7", "0207" + ping.slice(4), "MEMBER_BAD_TYPE"],
    ["empty sender name", "0203000100", "MEMBER_BAD_NAME"],
    ["a recipient name with a space", "02030001016102 6120", "MEMBER_BAD_NAME"],
    ["a name longer than the datagram", "0203000109616263", "TRUNCATED"],
    ["an incarnation above 2^53", "020300010161016200200000 00000000 00000001" + TAG, "MEMBER_BAD_INCARNATION"],
    ["an ack whose target incarnation is above 2^53", header("04") + "00200000 00000000 00 00" + TAG, "MEMBER_BAD_INCARNATION"],
    ["an ack with health 9", header("04") + "00000000 00000001 09 00" + TAG, "MEMBER_BAD_HEALTH"],
    ["an ack with an unknown flag", header("04") + "00000000 00000001 00 02" + TAG, "MEMBER_BAD_FLAGS"],
    ["a ping-request with address family 5", header("05") + "0163 05 c6120002 1e9a" + TAG, "MEMBER_BAD_FAMILY"],
    ["a ping-request to port 0", header("05") + "0163 04 c6120002 0000" + TAG, "MEMBER_BAD_PORT"],
    ["a ping-request with an empty target", header("05") + "00 04 c6120002 1e9a" + TAG, "MEMBER_BAD_NAME"],
    ["a ping-request whose IPv6 address is cut short", header("05") + "0163 06 20010db8", "TRUNCATED"],
    ["a relayed answer with an unknown flag", header("06") + "0163 04 00000000 00000000 00" + TAG, "MEMBER_BAD_FLAGS"],
    ["a relayed 'no reply' that carries a report", header("06") + "0163 00 00000000 00000005 00" + TAG, "MEMBER_SILENT_WITH_REPORT"],
    ["a relayed 'no reply' that says the target reaches the log", header("06") + "0163 02 00000000 00000000 00" + TAG, "MEMBER_SILENT_WITH_REPORT"],
    ["the tag cut short", ping.slice(0, -2), "TRUNCATED"],
    ["a byte after the tag", ping + "00", "MEMBER_TRAILING_BYTES"],
    ["longer than any membership probe", "02" + "00".repeat(MAX_MEMBER_BYTES), "MEMBER_TOO_LONG"],
  ])("%s -> %s", (_name, wire, code) => {
    let caught: unknown;
    try {
      decodeMember(bytes(wire));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DecodeError);
    expect((caught as DecodeError).code).toBe(code);
  });

  const base = { from: "a", to: "b", incarnation: 1, nonce: 1 };
  const report = { targetIncarnation: 1, health: 0, reachesLog: true };
  it.each([
    ["a key id above 65535", { t: "ping", ...base }, 65_536, /keyId/],
    ["a non-ASCII node name", { t: "ping", ...base, from: "nœud" }, 1, /from/],
    ["a nonce above 2^32", { t: "ping", ...base, nonce: 2 ** 32 }, 1, /nonce/],
    ["a negative incarnation", { t: "ping", ...base, incarnation: -1 }, 1, /incarnation/],
    ["health 9", { t: "ack", ...base, ...report, health: 9 }, 1, /health/],
    ["a fractional health", { t: "ack", ...base, ...report, health: 1.5 }, 1, /health/],
    ["a target name with a space", { t: "ping-req", ...base, target: "c d", address: "198.18.0.2", port: 1 }, 1, /target/],
    ["a host name for an address", { t: "ping-req", ...base, target: "c", address: "node2.lab", port: 1 }, 1, /address/],
    ["a non-canonical IPv6 address", { t: "ping-req", ...base, target: "c", address: "2001:DB8::2", port: 1 }, 1, /address/],
    ["port 0", { t: "ping-req", ...base, target: "c", address: "198.18.0.2", port: 0 }, 1, /port/],
    ["a 'no reply' with a report", { t: "relayed", ...base, target: "c", replied: false, ...report }, 1, /replied/],
  ] as const)("refuses to encode %s", (_name, message, keyId, field) => {
    expect(() => encodeMember(message as MemberMessage, keyId, hmac)).toThrow(EncodeError);
    expect(() => encodeMember(message as MemberMessage, keyId, hmac)).toThrow(field);
  });

  it("refuses a signer that returns a tag of the wrong length", () => {
    expect(() => encodeMember({ t: "ping", ...base }, 1, () => new Uint8Array(16))).toThrow(/tag/);
  });
});

describe("membership codec: properties", () => {
  const name = fc.stringMatching(/^[\x21-\x7e]{1,40}$/);
  const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
  const head = { from: name, to: name, incarnation: fc.maxSafeNat(), nonce: u32 };
  const report = { targetIncarnation: fc.maxSafeNat(), health: fc.integer({ min: 0, max: 8 }), reachesLog: fc.boolean() };
  const silent = { targetIncarnation: fc.constant(0), health: fc.constant(0), reachesLog: fc.constant(false) };
  const address = fc.oneof(fc.ipV4(), fc.ipV6().map((a) => new URL(`http://[${a}]/`).hostname.slice(1, -1)));
  const message: fc.Arbitrary<MemberMessage> = fc.oneof(
    fc.record({ t: fc.constant("ping" as const), ...head }),
    fc.record({ t: fc.constant("ack" as const), ...head, ...report }),
    fc.record({ t: fc.constant("ping-req" as const), ...head, target: name, address, port: fc.integer({ min: 1, max: 0xffff }) }),
    fc.record({ t: fc.constant("relayed" as const), ...head, target: name, replied: fc.constant(true), ...report }),
    fc.record({ t: fc.constant("relayed" as const), ...head, target: name, replied: fc.constant(false), ...silent }),
  );

  it("decode(encode(m)) is m, and the length is memberEncodingLength(m)", () => {
    fc.assert(
      fc.property(message, fc.integer({ min: 0, max: 0xffff }), (m, keyId) => {
        const encoded = encodeMember(m, keyId, hmac);
        const { value } = decodeMember(encoded);
        expect(encoded.length).toBe(memberEncodingLength(m));
        expect(value.message).toEqual(m);
        expect(value.keyId).toBe(keyId);
      }),
    );
  });

  it("bytes that start like a membership probe decode or throw DecodeError, nothing else", () => {
    fc.assert(
      fc.property(fc.constantFrom(3, 4, 5, 6), fc.uint8Array({ maxLength: 160 }), (type, rest) => {
        try {
          decodeMember(Uint8Array.from([2, type, 0, 1, ...rest]));
        } catch (err) {
          return err instanceof DecodeError;
        }
        return true;
      }),
    );
  });

  it("arbitrary bytes decode or throw DecodeError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 900 }), (b) => {
        try {
          decodeMember(b);
        } catch (err) {
          return err instanceof DecodeError;
        }
        return true;
      }),
    );
  });
});
