// Checks a peer's OPEN against the session configuration (RFC 4271 6.2, RFC 6286, RFC 6793, RFC 7607) and works
// out what the two OPENs negotiate. Errors come back as the NOTIFICATION to send, never thrown.
import { AS_TRANS, Afi, Safi } from "./constants.js";
import type { Capability } from "./capabilities.js";
import { ErrorCode, OpenSubcode, type NotificationFields } from "./notificationCodes.js";
import type { OpenMessage } from "./open.js";
import { negotiateHoldTime } from "./timers.js";

export type DynamicAsn = "internal" | "external";

export interface OpenExpectations {
  readonly localAsn: number;
  /** The configured peer ASN (BGPPeer.peerASN), or undefined with dynamicAsn. */
  readonly peerAsn?: number;
  /** BGPPeer.dynamicASN: accept any ASN equal to ours (internal) or different from ours (external). */
  readonly dynamicAsn?: DynamicAsn;
  readonly localBgpId: string;
  /** Hold time we offered, seconds. */
  readonly holdTime: number;
  /** Address families we offered. */
  readonly families: { readonly ipv4: boolean; readonly ipv6: boolean };
  /** Whether we sent the Graceful Restart capability. */
  readonly gracefulRestart: boolean;
}

export interface PeerGracefulRestart {
  readonly restartTime: number;
  readonly restarting: boolean;
  readonly notification: boolean;
  readonly families: readonly { readonly afi: number; readonly safi: number; readonly forwarding: boolean }[];
}

export interface Negotiated {
  readonly peerAsn: number;
  readonly peerBgpId: string;
  readonly ibgp: boolean;
  /** Seconds; 0 = no hold timer and no keepalives. */
  readonly holdTime: number;
  readonly fourOctetAs: boolean;
  /** Families both sides can exchange (IPv4 unicast is implied when the peer sends no Multiprotocol capability). */
  readonly families: { readonly ipv4: boolean; readonly ipv6: boolean };
  readonly routeRefresh: boolean;
  /** The peer's Graceful Restart capability, when both sides sent one. */
  readonly gracefulRestart?: PeerGracefulRestart;
}

export type OpenVerdict =
  | { readonly ok: true; readonly negotiated: Negotiated }
  | { readonly ok: false; readonly notification: NotificationFields; readonly reason: string };

const EMPTY = new Uint8Array(0);
const reject = (subcode: number, reason: string): OpenVerdict => ({
  ok: false,
  notification: { code: ErrorCode.openMessage, subcode, data: EMPTY },
  reason,
});

/** The peer's real ASN: the 4-octet AS capability when present (RFC 6793), else the My AS field. */
export function announcedAsn(open: OpenMessage): { asn: number; fourOctet: boolean; error?: string } {
  const cap = open.capabilities.find((c): c is Extract<Capability, { kind: "fourOctetAs" }> => c.kind === "fourOctetAs");
  if (cap === undefined) {
    return open.asn === AS_TRANS ? { asn: open.asn, fourOctet: false, error: "My AS is AS_TRANS without a 4-octet AS capability" } : { asn: open.asn, fourOctet: false };
  }
  const consistent = open.asn === AS_TRANS ? cap.asn > 0xffff || cap.asn === AS_TRANS : open.asn === cap.asn;
  return consistent ? { asn: cap.asn, fourOctet: true } : { asn: cap.asn, fourOctet: true, error: `My AS ${open.asn} contradicts the 4-octet AS capability ${cap.asn}` };
}

function bgpIdValue(id: string): number {
  return id.split(".").reduce((v, o) => v * 256 + Number(o), 0);
}

export function validateOpen(open: OpenMessage, exp: OpenExpectations): OpenVerdict {
  const peer = announcedAsn(open);
  if (peer.error !== undefined) return reject(OpenSubcode.badPeerAs, peer.error);
  if (peer.asn === 0) return reject(OpenSubcode.badPeerAs, "peer AS 0 (RFC 7607)");
  if (exp.peerAsn !== undefined && peer.asn !== exp.peerAsn) return reject(OpenSubcode.badPeerAs, `peer AS ${peer.asn}, expected ${exp.peerAsn}`);
  if (exp.peerAsn === undefined && exp.dynamicAsn === "internal" && peer.asn !== exp.localAsn) {
    return reject(OpenSubcode.badPeerAs, `peer AS ${peer.asn} is not our AS ${exp.localAsn} (dynamicASN internal)`);
  }
  if (exp.peerAsn === undefined && exp.dynamicAsn === "external" && peer.asn === exp.localAsn) {
    return reject(OpenSubcode.badPeerAs, `peer AS ${peer.asn} is our own AS (dynamicASN external)`);
  }
  if (open.holdTime === 1 || open.holdTime === 2) return reject(OpenSubcode.unacceptableHoldTime, `hold time ${open.holdTime}s (must be 0 or >= 3)`);
  const ibgp = peer.asn === exp.localAsn;
  if (bgpIdValue(open.bgpId) === 0) return reject(OpenSubcode.badBgpIdentifier, "BGP Identifier 0.0.0.0");
  if (ibgp && open.bgpId === exp.localBgpId) return reject(OpenSubcode.badBgpIdentifier, `internal peer uses our BGP Identifier ${open.bgpId}`);
  return { ok: true, negotiated: negotiate(open, exp, peer.asn, peer.fourOctet, ibgp) };
}

function negotiate(open: OpenMessage, exp: OpenExpectations, peerAsn: number, fourOctetAs: boolean, ibgp: boolean): Negotiated {
  const mp = open.capabilities.filter((c): c is Extract<Capability, { kind: "multiprotocol" }> => c.kind === "multiprotocol");
  const peerHas = (afi: number): boolean => mp.some((c) => c.afi === afi && c.safi === Safi.unicast);
  const families = {
    ipv4: exp.families.ipv4 && (mp.length === 0 || peerHas(Afi.ipv4)),
    ipv6: exp.families.ipv6 && peerHas(Afi.ipv6),
  };
  const gr = open.capabilities.find((c): c is Extract<Capability, { kind: "gracefulRestart" }> => c.kind === "gracefulRestart");
  const base: Negotiated = {
    peerAsn,
    peerBgpId: open.bgpId,
    ibgp,
    holdTime: negotiateHoldTime(exp.holdTime, open.holdTime),
    fourOctetAs,
    families,
    routeRefresh: open.capabilities.some((c) => c.kind === "routeRefresh"),
  };
  if (!exp.gracefulRestart || gr === undefined) return base;
  const { restartTime, restarting, notification, families: grFamilies } = gr;
  return { ...base, gracefulRestart: { restartTime, restarting, notification, families: grFamilies } };
}
