import { describe, expect, it } from "vitest";
import type { ArpFrame } from "../../src/protocols/arp/codec.js";
import { decideArp } from "../../src/protocols/arp/responder.js";
import type { ArpAction, ArpInterface } from "../../src/protocols/arp/responder.js";

const OURS = "02:00:00:00:00:aa";
const PEER = "02:00:00:00:00:01";
const OTHER = "02:00:00:00:00:02";
const BCAST = "ff:ff:ff:ff:ff:ff";
const ZERO = "00:00:00:00:00:00";
const VIP = "198.18.0.200";
const VIP_ON_IFACE = "198.18.0.10";

const iface: ArpInterface = { name: "eth0", mac: OURS, ipv4: [VIP_ON_IFACE] };
const vips = new Set([VIP, VIP_ON_IFACE]);

const request = (over: Partial<ArpFrame> = {}): ArpFrame => ({
  ethDst: BCAST,
  ethSrc: PEER,
  op: "request",
  senderMac: PEER,
  senderIp: "198.18.0.1",
  targetMac: ZERO,
  targetIp: VIP,
  ...over,
});
const garp = (mac: string, ip: string, op: "request" | "reply"): ArpFrame => ({
  ethDst: BCAST,
  ethSrc: mac,
  op,
  senderMac: mac,
  senderIp: ip,
  targetMac: op === "request" ? ZERO : mac,
  targetIp: ip,
});
const replyTo = (to: string, toIp: string): ArpAction => ({
  kind: "reply",
  vip: VIP,
  frame: { ethDst: to, ethSrc: OURS, op: "reply", senderMac: OURS, senderIp: VIP, targetMac: to, targetIp: toIp },
});
const ignore = (reason: string): ArpAction => ({ kind: "ignore", reason }) as ArpAction;
const conflict = (claimantMac: string, op: "request" | "reply", gratuitous: boolean): ArpAction => ({
  kind: "conflict",
  vip: VIP,
  claimantMac,
  op,
  gratuitous,
});

// prettier-ignore
const table: ReadonlyArray<{ name: string; frame: ArpFrame; want: ArpAction }> = [
  { name: "broadcast request for our VIP is answered, unicast to the requester", frame: request(), want: replyTo(PEER, "198.18.0.1") },
  { name: "unicast refresh to our MAC is answered", frame: request({ ethDst: OURS, targetMac: OURS }), want: replyTo(PEER, "198.18.0.1") },
  { name: "reply goes to the ARP sender, not the Ethernet source", frame: request({ ethSrc: OTHER }), want: replyTo(PEER, "198.18.0.1") },
  { name: "DAD probe (sender 0.0.0.0) for our VIP is answered to defend it", frame: request({ senderIp: "0.0.0.0" }), want: replyTo(PEER, "0.0.0.0") },
  { name: "request for an address we do not answer for", frame: request({ targetIp: "198.18.0.201" }), want: ignore("not-our-vip") },
  { name: "request for a VIP also configured on the interface is left to the kernel", frame: request({ targetIp: VIP_ON_IFACE }), want: ignore("kernel-address") },
  { name: "unicast request to another MAC (promiscuous)", frame: request({ ethDst: OTHER }), want: ignore("not-addressed-to-us") },
  { name: "reply between other hosts", frame: { ...request({ op: "reply", targetMac: OTHER }), senderIp: "198.18.0.1", targetIp: "198.18.0.2" }, want: ignore("not-a-request") },
  { name: "gratuitous request from another host for its own address", frame: garp(PEER, "198.18.0.1", "request"), want: ignore("gratuitous-from-other") },
  { name: "gratuitous reply from another host for its own address", frame: garp(PEER, "198.18.0.1", "reply"), want: ignore("not-a-request") },
  { name: "our own frame looped back", frame: request({ ethSrc: OURS, senderMac: OURS }), want: ignore("own-frame") },
  { name: "our own gratuitous ARP for our VIP is not a conflict", frame: garp(OURS, VIP, "request"), want: ignore("own-frame") },
  { name: "multicast sender MAC", frame: request({ senderMac: "01:00:5e:00:00:01" }), want: ignore("bad-sender") },
  { name: "broadcast Ethernet source", frame: request({ ethSrc: BCAST }), want: ignore("bad-sender") },
  { name: "CONFLICT: gratuitous request claiming our VIP", frame: garp(OTHER, VIP, "request"), want: conflict(OTHER, "request", true) },
  { name: "CONFLICT: gratuitous reply claiming our VIP", frame: garp(OTHER, VIP, "reply"), want: conflict(OTHER, "reply", true) },
  { name: "CONFLICT: another host answers for our VIP", frame: { ...request({ op: "reply", targetMac: PEER }), senderMac: OTHER, ethSrc: OTHER, senderIp: VIP, targetIp: "198.18.0.1" }, want: conflict(OTHER, "reply", false) },
  { name: "CONFLICT: another host asks using our VIP as its source", frame: request({ senderMac: OTHER, ethSrc: OTHER, senderIp: VIP, targetIp: "198.18.0.1" }), want: conflict(OTHER, "request", false) },
];

describe("decideArp", () => {
  it.each(table)("$name", ({ frame, want }) => {
    expect(decideArp(frame, iface, vips)).toEqual(want);
  });

  it.each(table)("a predicate matcher decides like the set: $name", ({ frame, want }) => {
    expect(decideArp(frame, iface, (ip) => vips.has(ip))).toEqual(want);
  });

  it("answers nothing when the node owns no VIPs", () => {
    expect(decideArp(request(), iface, new Set())).toEqual(ignore("not-our-vip"));
    expect(decideArp(garp(OTHER, VIP, "request"), iface, new Set())).toEqual(ignore("gratuitous-from-other"));
  });
});
