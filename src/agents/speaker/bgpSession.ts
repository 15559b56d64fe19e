import type { BgpPeerConfig } from "../../config/types.js";
import { familyOfText } from "../../net/ip.js";
import type { PeerConfig } from "../../protocols/bgp/peer.js";
import { DEFAULT_CONNECT_TIMEOUT_MS, deriveTimers } from "../../protocols/bgp/timers.js";
import { FRESH_START, type RestartDecision } from "./bgpRestart.js";

// A BGPPeer as one BGP session of this node: the pure core's PeerConfig and the socket options the adapter needs.

export type BgpSocketOptions = {
  peerAddress: string;
  peerPort: number;
  sourceAddress: string | null;
  /** TCP MD5 key (RFC 2385), set before the SYN. */
  password: string | null;
  /** IP_TTL: 255 for ebgpMultiHop, else the kernel default (1 hop is enough, MetalLB leaves it). */
  ttl: number | null;
  /** Bind to this VRF device (SO_BINDTODEVICE). */
  vrf: string | null;
};

export type BgpSessionPlan = { peer: PeerConfig; socket: BgpSocketOptions };

export type BgpSessionDefaults = {
  /** The BGP identifier when the BGPPeer has no routerID: an IPv4 address of this node. */
  routerId: string;
  /** Graceful restart time offered with enableGracefulRestart, seconds (MetalLB/FRR default 120). */
  restartTimeS: number;
};

/**
 * The session of BGPPeer `p`. `restart` gives the graceful-restart R and F bits of its first OPENs (the first
 * session to each peer after a restart in place); a fresh start by default. `md5Key`: the password the speaker read
 * for `p.password`. Throws TimerConfigError for timers the configuration parser would have rejected.
 */
export function sessionFor(p: BgpPeerConfig, d: BgpSessionDefaults, restart: RestartDecision = FRESH_START, md5Key: string | null = null): BgpSessionPlan {
  const v4 = familyOfText(p.peerAddress) === 4;
  const timers = deriveTimers({
    ...(p.holdTimeMs === null ? {} : { holdTimeMs: p.holdTimeMs }),
    ...(p.keepaliveTimeMs === null ? {} : { keepaliveTimeMs: p.keepaliveTimeMs }),
    ...(p.connectTimeMs === null ? {} : { connectTimeMs: p.connectTimeMs }),
  });
  const peer: PeerConfig = {
    session: {
      // localASN is the ASN toward this peer (OPEN, AS_PATH, iBGP or eBGP); myASN otherwise.
      localAsn: p.localASN ?? p.myASN,
      ...(p.peerASN === null ? {} : { peerAsn: p.peerASN }),
      ...(p.dynamicASN === null ? {} : { dynamicAsn: p.dynamicASN }),
      routerId: p.routerID ?? d.routerId,
      timers,
      connectTimeoutMs: DEFAULT_CONNECT_TIMEOUT_MS,
      families: { ipv4: v4 || p.dualStackAddressFamily, ipv6: !v4 || p.dualStackAddressFamily },
      ...(p.enableGracefulRestart ? { gracefulRestart: gracefulRestart(d.restartTimeS, restart) } : {}),
      stableAfterMs: 30_000,
      // An IPv6 session that carries IPv4 routes: the peer may have only an IPv6 next hop for them (RFC 8950).
      ...(!v4 && p.dualStackAddressFamily ? { extendedNextHop: true } : {}),
    },
  };
  const socket: BgpSocketOptions = {
    peerAddress: p.peerAddress, peerPort: p.peerPort, sourceAddress: p.sourceAddress, password: md5Key, ttl: p.ebgpMultiHop ? 255 : null, vrf: p.vrf,
  };
  return { peer, socket };
}

function gracefulRestart(restartTime: number, r: RestartDecision): NonNullable<PeerConfig["session"]["gracefulRestart"]> {
  return { restartTime, restarting: r.restarting, ...(r.restarting ? { restartingForMs: r.remainingMs } : {}), forwarding: r.forwarding };
}
