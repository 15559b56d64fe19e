import { describe, expect, it } from "vitest";
import { decode, encode } from "../../src/protocols/ndp/codec.js";
import type { NdpFrame } from "../../src/protocols/ndp/codec.js";
import { dadProbe, neighborSolicitation, unsolicitedAdvertisement } from "../../src/protocols/ndp/messages.js";
import { decideNdp } from "../../src/protocols/ndp/responder.js";
import type { NdpAction, NdpInterface } from "../../src/protocols/ndp/responder.js";

const OURS = "02:00:00:00:00:aa";
const PEER = "02:00:00:00:00:01";
const OTHER = "02:00:00:00:00:02";
const VIP = "2001:db8:0:1::c8";
const VIP_ON_IFACE = "2001:db8:0:1::a";
const PEER_LL = "fe80::1";
const PEER_GLOBAL = "2001:db8:0:1::1";

const iface: NdpInterface = { name: "eth0", mac: OURS, ipv6: [VIP_ON_IFACE, "fe80::aa"] };
const vips = new Set([VIP, VIP_ON_IFACE]);

const ns = (over: Partial<NdpFrame> = {}, target = VIP): NdpFrame => ({
  ...neighborSolicitation({ mac: PEER, ip: PEER_LL, target }),
  ...over,
});
const unicastNs = (over: Partial<NdpFrame> = {}): NdpFrame => ({
  ...neighborSolicitation({ mac: PEER, ip: PEER_GLOBAL, target: VIP, unicastTo: OURS }),
  ...over,
});
const na = (mac: string, target: string, over: Partial<NdpFrame["message"]> = {}, frame: Partial<NdpFrame> = {}): NdpFrame => {
  const base = unsolicitedAdvertisement(target, mac);
  return { ...base, ...frame, message: { ...base.message, ...over } as NdpFrame["message"] };
};
const advertisement = (toMac: string, toIp: string): NdpFrame => ({
  ethDst: toMac,
  ethSrc: OURS,
  ipSrc: VIP,
  ipDst: toIp,
  message: { type: "advertisement", router: false, solicited: true, override: true, target: VIP, options: [{ kind: "targetLinkLayer", mac: OURS }] },
});
const reply = (toMac: string, toIp: string, unicast: boolean): NdpAction => ({ kind: "reply", vip: VIP, unicast, frame: advertisement(toMac, toIp) });
const ignore = (reason: string): NdpAction => ({ kind: "ignore", reason }) as NdpAction;
const conflict = (claimantMac: string, message: "advertisement" | "solicitation"): NdpAction => ({ kind: "conflict", vip: VIP, claimantMac, message });

// prettier-ignore
const table: ReadonlyArray<{ name: string; frame: NdpFrame; want: NdpAction }> = [
  { name: "multicast solicitation for our VIP is answered, unicast to the solicitor's link-layer address", frame: ns(), want: reply(PEER, PEER_LL, false) },
  { name: "unicast solicitation (unreachability detection) to our MAC is answered", frame: unicastNs(), want: reply(PEER, PEER_GLOBAL, true) },
  { name: "unicast solicitation without a source link-layer option is answered to the Ethernet source", frame: unicastNs({ message: { type: "solicitation", target: VIP, options: [] } }), want: reply(PEER, PEER_GLOBAL, true) },
  { name: "the answer goes to the source link-layer address, not the Ethernet source", frame: ns({ ethSrc: OTHER }), want: reply(PEER, PEER_LL, false) },
  { name: "multicast solicitation sent to our MAC instead of the group MAC is answered", frame: ns({ ethDst: OURS }), want: reply(PEER, PEER_LL, false) },
  { name: "DAD probe for our VIP is reported, never answered", frame: dadProbe(VIP, PEER), want: { kind: "dad-probe", vip: VIP, fromMac: PEER } },
  { name: "DAD probe for another address", frame: dadProbe("2001:db8:0:1::c9", PEER), want: ignore("not-our-vip") },
  { name: "solicitation for an address we do not answer for", frame: ns({}, "2001:db8:0:1::c9"), want: ignore("not-our-vip") },
  { name: "solicitation for a VIP also configured on the interface is left to the kernel", frame: ns({}, VIP_ON_IFACE), want: ignore("kernel-address") },
  { name: "unicast solicitation to another MAC (promiscuous)", frame: unicastNs({ ethDst: OTHER }), want: ignore("not-addressed-to-us") },
  { name: "multicast solicitation to another group MAC", frame: ns({ ethDst: "33:33:ff:00:00:c9" }), want: ignore("not-addressed-to-us") },
  { name: "solicitation to all nodes rather than the solicited-node group", frame: ns({ ipDst: "ff02::1", ethDst: "33:33:00:00:00:01" }), want: ignore("not-addressed-to-us") },
  { name: "solicitation to another unicast address", frame: unicastNs({ ipDst: "2001:db8:0:1::c9" }), want: ignore("not-addressed-to-us") },
  { name: "our own frame looped back", frame: ns({ ethSrc: OURS }), want: ignore("own-frame") },
  { name: "our own unsolicited advertisement is not a conflict", frame: na(OURS, VIP), want: ignore("own-frame") },
  { name: "our advertisement relayed by another MAC is not a conflict", frame: na(OURS, VIP, {}, { ethSrc: OTHER }), want: ignore("own-frame") },
  { name: "multicast Ethernet source", frame: ns({ ethSrc: "33:33:00:00:00:01" }), want: ignore("bad-sender") },
  { name: "multicast source link-layer option", frame: ns({ message: { type: "solicitation", target: VIP, options: [{ kind: "sourceLinkLayer", mac: "01:00:5e:00:00:01" }] } }), want: ignore("bad-sender") },
  { name: "another host advertising its own address", frame: na(PEER, PEER_GLOBAL), want: ignore("not-a-solicitation") },
  { name: "CONFLICT: unsolicited advertisement for our VIP from another MAC", frame: na(OTHER, VIP), want: conflict(OTHER, "advertisement") },
  { name: "CONFLICT: solicited advertisement for our VIP from another MAC", frame: na(OTHER, VIP, { solicited: true }, { ipDst: PEER_LL, ethDst: PEER }), want: conflict(OTHER, "advertisement") },
  { name: "CONFLICT: advertisement without a target link-layer option names the Ethernet source", frame: na(OTHER, VIP, { options: [] }), want: conflict(OTHER, "advertisement") },
  { name: "CONFLICT: advertisement without Override still claims the VIP", frame: na(OTHER, VIP, { override: false }), want: conflict(OTHER, "advertisement") },
  { name: "CONFLICT: another host solicits using our VIP as its source", frame: neighborSolicitation({ mac: OTHER, ip: VIP, target: PEER_GLOBAL }), want: conflict(OTHER, "solicitation") },
];

describe("decideNdp", () => {
  it.each(table)("$name", ({ frame, want }) => {
    expect(decideNdp(frame, iface, vips)).toEqual(want);
  });

  it.each(table)("a predicate matcher decides like the set: $name", ({ frame, want }) => {
    expect(decideNdp(frame, iface, (ip) => vips.has(ip))).toEqual(want);
  });

  it.each(table)("every case is a frame the codec accepts: $name", ({ frame }) => {
    expect(decode(encode(frame)).value).toEqual(frame);
  });

  it("every reply is a valid frame: hop limit 255 on the wire, from the VIP, Solicited and Override set", () => {
    for (const { frame } of table) {
      const action = decideNdp(frame, iface, vips);
      if (action.kind !== "reply") continue;
      const bytes = encode(action.frame);
      expect(bytes[21]).toBe(255);
      expect(decode(bytes).value).toMatchObject({ ethSrc: OURS, ipSrc: VIP, message: { solicited: true, override: true, router: false } });
    }
  });

  it("answers nothing and reports no conflict when the node owns no VIPs", () => {
    expect(decideNdp(ns(), iface, new Set())).toEqual(ignore("not-our-vip"));
    expect(decideNdp(na(OTHER, VIP), iface, new Set())).toEqual(ignore("not-a-solicitation"));
    expect(decideNdp(dadProbe(VIP, PEER), iface, new Set())).toEqual(ignore("not-our-vip"));
  });
});
