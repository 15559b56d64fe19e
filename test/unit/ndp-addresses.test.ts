import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EncodeError } from "../../src/protocols/codec/errors.js";
import {
  canonicalIpv6,
  ipv6FromBytes,
  ipv6ToBytes,
  isIpv6,
  isMulticastIpv6,
  isSolicitedNodeAddress,
  multicastMac,
  solicitedNodeAddress,
  solicitedNodeMac,
} from "../../src/protocols/codec/ipv6.js";
import { formatIp, parseIp } from "../../src/net/ip.js";

const toBigint = (b: Uint8Array): bigint => b.reduce((v, x) => (v << 8n) | BigInt(x), 0n);

describe("IPv6 text on the wire boundary", () => {
  it("formats bytes like the pool arithmetic's RFC 5952 formatter (a naive reference)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(7), fc.nat(8), (b, at, zeros) => {
        b.fill(0, 2 * at, Math.min(16, 2 * (at + zeros))); // runs of zero groups are the interesting part
        const text = ipv6FromBytes(b);
        expect(text).toBe(formatIp({ family: 6, value: toBigint(b) }));
        expect(isIpv6(text)).toBe(true);
        expect(ipv6ToBytes(text)).toEqual(b);
      }),
      { numRuns: 2000 },
    );
  });

  it.each([
    ["2001:db8::1", "2001:db8::1"],
    ["2001:DB8:0:0::1", "2001:db8::1"],
    ["2001:db8:0:1:0:0:0:c8", "2001:db8:0:1::c8"],
    ["0:0:1:0:0:0:0:1", "0:0:1::1"],
    ["1:0:0:2:0:0:0:3", "1:0:0:2::3"],
    ["1:0:0:2:0:0:3:4", "1::2:0:0:3:4"],
    ["fe80::0:1", "fe80::1"],
    ["::", "::"],
  ])("canonicalIpv6(%s) = %s and only the canonical text is accepted by the encoder", (input, canonical) => {
    expect(canonicalIpv6(input)).toBe(canonical);
    expect(canonicalIpv6(input)).toBe(formatIp(parseIp(input)));
    if (input !== canonical) expect(() => ipv6ToBytes(input)).toThrow(EncodeError);
  });

  it.each(["", ":::", "1::2::3", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "12345::", "g::1", "::ffff:1.2.3.4", "fe80::1%eth0"])(
    "%j is not an IPv6 address here",
    (text) => {
      expect(canonicalIpv6(text)).toBeUndefined();
      expect(isIpv6(text)).toBe(false);
    },
  );

  it("tells multicast from addresses that merely start with ff", () => {
    expect(isMulticastIpv6("ff02::1")).toBe(true);
    expect(isMulticastIpv6("ff05::1:3")).toBe(true);
    expect(isMulticastIpv6("ff::1")).toBe(false);
    expect(isMulticastIpv6("fe80::1")).toBe(false);
  });
});

describe("solicited-node multicast", () => {
  it.each([
    ["2001:db8:0:1::c8", "ff02::1:ff00:c8", "33:33:ff:00:00:c8"],
    ["2001:db8::1234:5678", "ff02::1:ff34:5678", "33:33:ff:34:56:78"],
    ["fe80::ff:fe00:a", "ff02::1:ff00:a", "33:33:ff:00:00:0a"],
    ["2001:db8::", "ff02::1:ff00:0", "33:33:ff:00:00:00"],
  ])("%s -> group %s at %s", (ip, group, mac) => {
    expect(solicitedNodeAddress(ip)).toBe(group);
    expect(solicitedNodeMac(ip)).toBe(mac);
    expect(multicastMac(group)).toBe(mac);
    expect(isSolicitedNodeAddress(group)).toBe(true);
  });

  it("maps all nodes to 33:33:00:00:00:01 and recognises only ff02::1:ff00:0/104 as solicited-node", () => {
    expect(multicastMac("ff02::1")).toBe("33:33:00:00:00:01");
    for (const ip of ["ff02::1", "ff02::1:fe00:1", "ff02::1:fff:1", "ff02::2:ff00:1", "ff05::1:ff00:1", "2001:db8::1"]) {
      expect(isSolicitedNodeAddress(ip), ip).toBe(false);
    }
  });
});
