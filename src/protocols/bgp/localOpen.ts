// The OPEN a vipmesh session sends: its ASN (AS_TRANS in the 2-octet field when it needs 4 octets, RFC 6793), hold
// time, BGP Identifier, and the capabilities: Multiprotocol per enabled family, Route Refresh, 4-octet AS, and
// Graceful Restart when enabled (BGPPeer.enableGracefulRestart).
import type { Capability } from "./capabilities.js";
import { AS_TRANS, Afi, Safi } from "./constants.js";
import type { OpenMessage } from "./open.js";
import type { SessionConfig } from "./sessionTypes.js";

/** The OPEN this session sends. */
export function localOpen(c: SessionConfig): OpenMessage {
  const caps: Capability[] = [];
  if (c.families.ipv4) caps.push({ kind: "multiprotocol", afi: Afi.ipv4, safi: Safi.unicast });
  if (c.families.ipv6) caps.push({ kind: "multiprotocol", afi: Afi.ipv6, safi: Safi.unicast });
  caps.push({ kind: "routeRefresh" }, { kind: "fourOctetAs", asn: c.localAsn });
  const gr = c.gracefulRestart;
  if (gr !== undefined) {
    const families = [...(c.families.ipv4 ? [Afi.ipv4] : []), ...(c.families.ipv6 ? [Afi.ipv6] : [])];
    caps.push({
      kind: "gracefulRestart", restarting: gr.restarting, notification: false, restartTime: gr.restartTime,
      families: families.map((afi) => ({ afi, safi: Safi.unicast, forwarding: gr.forwarding })),
    });
  }
  return { type: "open", asn: c.localAsn > 0xffff ? AS_TRANS : c.localAsn, holdTime: c.timers.holdTime, bgpId: c.routerId, capabilities: caps };
}
