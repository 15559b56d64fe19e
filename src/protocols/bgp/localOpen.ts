// The OPEN a vipmesh session sends: its ASN (AS_TRANS in the 2-octet field when it needs 4 octets, RFC 6793), hold
// time, BGP Identifier, and the capabilities: Multiprotocol per enabled family, Route Refresh, Extended Next Hop for
// IPv4 unicast with IPv6 next hops when configured (RFC 8950), 4-octet AS, and Graceful Restart when enabled
// (BGPPeer.enableGracefulRestart), with the R and F bits the session's state calls for.
import type { Capability } from "./capabilities.js";
import { AS_TRANS, Afi, Safi } from "./constants.js";
import type { OpenMessage } from "./open.js";
import type { SessionConfig, SessionState } from "./sessionTypes.js";

/** The Restart State (R) and Forwarding State (F) bits of one OPEN's Graceful Restart capability. */
export interface RestartFlags {
  readonly restarting: boolean;
  readonly forwarding: boolean;
}

/**
 * The R and F bits for the OPEN sent at `now` (RFC 4724 3): as configured until the session first reaches
 * Established, R only before `restartingUntil`; once it has been Established, R = 0 (this process did not restart
 * since) and F = 1 (the process kept running, so did forwarding). Undefined without graceful restart.
 */
export function restartFlags(s: SessionState, now: number): RestartFlags | undefined {
  const gr = s.config.gracefulRestart;
  if (gr === undefined) return undefined;
  if (s.counters.establishedCount > 0) return { restarting: false, forwarding: true };
  return { restarting: gr.restarting && s.restartingUntil !== undefined && now < s.restartingUntil, forwarding: gr.forwarding };
}

/** The deadline for the R bit set when a restarting session is first started at `now`; undefined when not restarting. */
export function restartingDeadline(c: SessionConfig, now: number): number | undefined {
  const gr = c.gracefulRestart;
  if (gr === undefined || !gr.restarting) return undefined;
  return now + (gr.restartingForMs ?? gr.restartTime * 1000);
}

/** The OPEN this session sends; `flags` default to the configured R and F bits. */
export function localOpen(c: SessionConfig, flags?: RestartFlags): OpenMessage {
  const caps: Capability[] = [];
  if (c.families.ipv4) caps.push({ kind: "multiprotocol", afi: Afi.ipv4, safi: Safi.unicast });
  if (c.families.ipv6) caps.push({ kind: "multiprotocol", afi: Afi.ipv6, safi: Safi.unicast });
  caps.push({ kind: "routeRefresh" });
  if (c.extendedNextHop === true && c.families.ipv4) caps.push({ kind: "extendedNextHop", families: [{ afi: Afi.ipv4, safi: Safi.unicast, nextHopAfi: Afi.ipv6 }] });
  caps.push({ kind: "fourOctetAs", asn: c.localAsn });
  const gr = c.gracefulRestart;
  if (gr !== undefined) {
    const { restarting, forwarding } = flags ?? gr;
    const families = [...(c.families.ipv4 ? [Afi.ipv4] : []), ...(c.families.ipv6 ? [Afi.ipv6] : [])];
    caps.push({
      kind: "gracefulRestart", restarting, notification: false, restartTime: gr.restartTime,
      families: families.map((afi) => ({ afi, safi: Safi.unicast, forwarding })),
    });
  }
  return { type: "open", asn: c.localAsn > 0xffff ? AS_TRANS : c.localAsn, holdTime: c.timers.holdTime, bgpId: c.routerId, capabilities: caps };
}
