import { anySelectorMatches } from "../../config/selectors.js";
import type { ClusterConfig } from "../../config/types.js";
import { ipamStatus } from "../ipam/status.js";
import { ipRecord } from "../ipam/state.js";
import type { LogState } from "../logState.js";
import type { MembershipState } from "../membership.js";
import { vipCatalog, type VipEntry } from "../vipCatalog.js";
import { advertisesPool } from "../../config/advertisesPool.js";
import { noInterfaceInSubnet } from "./interfaceReason.js";

// What the API server should show, derived from the projection alone (pure): each managed Service's ingress IPs,
// the pool they came from, and why it is not announced when it is not; each pool's usage. Every status writer
// computes the same from the same log, so writers agree instead of fighting. Membership (the HEARTBEATS projection)
// adds the one reason the configuration cannot tell: no running node has an interface for the VIP.

export type ServiceStatusWanted = {
  key: string;
  ips: string[];
  pool: string | null;
  /** null: announced (as far as the configuration can tell); else the reason and a message. */
  notAnnounced: { reason: string; message: string } | null;
};

export type PoolStatusWanted = { pool: string; assignedIPv4: number; assignedIPv6: number; availableIPv4: number; availableIPv6: number };

export type StatusWanted = { services: Map<string, ServiceStatusWanted>; pools: PoolStatusWanted[] };

const REASON_NAMES: Record<string, string> = {
  "no-pool": "NoPoolMatches",
  "pool-exhausted": "PoolExhausted",
  "requested-ip-taken": "RequestedIPTaken",
  "requested-ip-outside-pools": "RequestedIPOutsidePools",
  "requested-ip-not-allowed": "RequestedIPNotAllowed",
  "family-unavailable": "FamilyUnavailable",
  "invalid-request": "InvalidRequest",
};

const toCount = (text: string | number): number => Math.min(Number(text), Number.MAX_SAFE_INTEGER);

function advertised(config: ClusterConfig, pool: string | null): boolean {
  const p = config.pools.find((x) => x.name === pool);
  if (!p) return false;
  const l2 = config.l2Advertisements.some((ad) => (ad.ipAddressPools.length === 0 && ad.ipAddressPoolSelectors.length === 0) || ad.ipAddressPools.includes(p.name) || (ad.ipAddressPoolSelectors.length > 0 && anySelectorMatches(ad.ipAddressPoolSelectors, p.labels)));
  return l2 || (config.bgp?.advertisements ?? []).some((ad) => advertisesPool(ad, p));
}

function eligibleNodes(config: ClusterConfig): number {
  return config.nodes.filter((n) => n.ready && !n.networkUnavailable && !Object.hasOwn(n.labels, "node.kubernetes.io/exclude-from-external-load-balancers")).length;
}

function firstNoInterface(ips: readonly string[], entries: ReadonlyMap<string, VipEntry>, log: LogState, members: MembershipState): ServiceStatusWanted["notAnnounced"] {
  for (const ip of ips) {
    const entry = entries.get(ip);
    const reason = entry ? noInterfaceInSubnet(entry, log, members) : null;
    if (reason) return reason;
  }
  return null;
}

/**
 * `members`: the membership projection once caught up, else null (then no reason depends on it). NoInterfaceInSubnet
 * names the first of the Service's VIPs that no running, otherwise eligible node has an interface for.
 */
export function wantedStatus(log: LogState, lbClass: string | null, members: MembershipState | null = null): StatusWanted {
  const services = new Map<string, ServiceStatusWanted>();
  const config = log.config?.config;
  if (!config) return { services, pools: [] };
  const status = ipamStatus(log, { lbClass });
  const entries = members ? new Map(vipCatalog(log).map((e) => [e.vip, e])) : new Map<string, VipEntry>();
  for (const s of status.services) {
    if (s.state === "ignored") continue;
    const ips = [...s.ips];
    const pool = ips.length > 0 ? (ipRecord(log.ipam, ips[0] ?? "")?.holders.find((h) => h.service === s.service)?.pool ?? null) : null;
    let notAnnounced: ServiceStatusWanted["notAnnounced"] = null;
    const first = s.pending[0];
    if (ips.length === 0 && first) notAnnounced = { reason: REASON_NAMES[first.reason] ?? "Pending", message: `${first.reason}: ${first.detail}` };
    else if (ips.length > 0 && !advertised(config, pool)) notAnnounced = { reason: "NoAdvertisement", message: `no L2Advertisement or BGPAdvertisement selects pool ${pool ?? "?"}` };
    else if (ips.length > 0 && eligibleNodes(config) === 0 && config.nodes.length > 0) notAnnounced = { reason: "AllNodesExcluded", message: "every node is excluded, not Ready or NetworkUnavailable" };
    else if (members) notAnnounced = firstNoInterface(ips, entries, log, members);
    services.set(s.service, { key: s.service, ips, pool, notAnnounced });
  }
  const pools = status.pools.map((p) => ({
    pool: p.pool,
    assignedIPv4: p.v4.assigned,
    assignedIPv6: p.v6.assigned,
    availableIPv4: toCount(p.v4.available),
    availableIPv6: toCount(p.v6.available),
  }));
  return { services, pools };
}
