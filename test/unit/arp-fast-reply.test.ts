import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decode, encode, gratuitousArp, type ArpFrame } from "../../src/protocols/arp/codec.js";
import { decideArp } from "../../src/protocols/arp/responder.js";
import { fastArpReply } from "../../src/protocols/arp/fastReply.js";
import { macToBytes } from "../../src/protocols/codec/addresses.js";

// The hot path must never answer differently from the full decision: whenever it replies, decideArp replies with
// the same bytes; whatever it passes on, the full decision still handles.

const OWN_MAC = "02:00:c6:12:00:0b";
const VIPS = new Set(["198.18.0.200", "198.18.0.201"]);
const iface = { name: "eth0", mac: OWN_MAC, ipv4: ["198.18.0.11"] };
const ctx = { mac: macToBytes(OWN_MAC), answers: (ip: string) => VIPS.has(ip), kernelAddresses: () => iface.ipv4 };

const request = (over: Partial<ArpFrame> = {}): ArpFrame => ({
  ethDst: "ff:ff:ff:ff:ff:ff",
  ethSrc: "02:00:c6:12:00:64",
  op: "request",
  senderMac: "02:00:c6:12:00:64",
  senderIp: "198.18.0.100",
  targetMac: "00:00:00:00:00:00",
  targetIp: "198.18.0.200",
  ...over,
});

describe("ARP fast path", () => {
  it("answers an ordinary broadcast or unicast request for a VIP exactly as the full decision does", () => {
    for (const frame of [request(), request({ ethDst: OWN_MAC })]) {
      const action = decideArp(frame, iface, VIPS);
      expect(action.kind).toBe("reply");
      if (action.kind === "reply") expect(fastArpReply(encode(frame), ctx)).toEqual(encode(action.frame));
    }
  });

  it.each([
    ["a request for another address", request({ targetIp: "198.18.0.50" })],
    ["a conflict: our VIP as sender", request({ senderIp: "198.18.0.201" })],
    ["a gratuitous ARP", gratuitousArp("198.18.0.77", "02:00:c6:12:00:64", "request")],
    ["a DAD probe", request({ senderIp: "0.0.0.0" })],
    ["our own frame", request({ ethSrc: OWN_MAC, senderMac: OWN_MAC })],
    ["a reply", request({ op: "reply" })],
    ["unicast to another host", request({ ethDst: "02:00:c6:12:00:0c" })],
    ["a kernel address", request({ targetIp: "198.18.0.11" })],
  ])("passes %s on to the full decision", (_name, frame) => {
    expect(fastArpReply(encode(frame), ctx)).toBeNull();
  });

  it("never replies where the full decision would not, nor differently (property)", () => {
    const mac = fc.constantFrom(OWN_MAC, "02:00:c6:12:00:64", "ff:ff:ff:ff:ff:ff", "01:00:5e:00:00:01", "00:00:00:00:00:00");
    const ip = fc.constantFrom("198.18.0.200", "198.18.0.201", "198.18.0.100", "198.18.0.11", "0.0.0.0");
    const frame = fc.record({ ethDst: mac, ethSrc: mac, op: fc.constantFrom("request" as const, "reply" as const), senderMac: mac, senderIp: ip, targetMac: mac, targetIp: ip });
    fc.assert(
      fc.property(frame, (f) => {
        const bytes = encode(f);
        const fast = fastArpReply(bytes, ctx);
        if (fast === null) return true;
        const action = decideArp(decode(bytes).value, iface, VIPS);
        return action.kind === "reply" && Buffer.from(encode(action.frame)).equals(Buffer.from(fast));
      }),
      { numRuns: 2_000 },
    );
  });

  it("arbitrary bytes never make it throw", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
      fastArpReply(bytes, ctx);
      return true;
    }));
  });
});
