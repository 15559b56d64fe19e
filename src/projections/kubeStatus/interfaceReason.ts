import { anySelectorMatches } from "../../config/selectors.js";
import type { ClusterConfig } from "../../config/types.js";
import type { InterfaceFact } from "../../events/types.js";
import { parseAddressBlock, rangeContains } from "../../net/cidr.js";
import { bitsOf } from "../../net/ip.js";
import { qualify } from "../eligibility.js";
import type { LogState } from "../logState.js";
import type { MembershipState } from "../membership.js";
import { interfacesOf } from "../nodeFacts.js";
import type { VipEntry } from "../vipCatalog.js";
import { advertisesPool } from "../../config/advertisesPool.js";
import { runningMembers } from "./nodeStatus.js";

// "No eligible node has an interface in the subnet" (pure): a VIP announced in layer 2 only, with running nodes that
// would qualify for it but for their interfaces, none of which has an up interface in the VIP's subnet or a route
// to it. Eligibility is the speakers' own (qualify); "would qualify but for the interfaces" is the same check with
// an interface in the VIP's subnet put in, under every name the advertisements allow.

export const NO_INTERFACE_REASON = "NoInterfaceInSubnet";

export function noInterfaceInSubnet(entry: VipEntry, log: LogState, members: MembershipState): { reason: string; message: string } | null {
  const config = log.config?.config;
  if (!config || !entry.pool || entry.advertisements.length === 0 || announcedOverBgp(entry, config)) return null;
  const inSubnet = interfacesInSubnetOf(entry);
  const candidates = runningMembers(log, members).filter((m) => qualify(entry, m, inSubnet, config).ok);
  if (candidates.length === 0 || candidates.some((m) => qualify(entry, m, interfacesOf(log, m), config).ok)) return null;
  const names = candidates.map((m) => m.node).sort();
  return {
    reason: NO_INTERFACE_REASON,
    message: `no eligible node has an up interface in ${subnetOf(entry)} (the subnet of ${entry.vip}, pool ${entry.pool.name}) or a route to it; checked ${names.join(", ")}`,
  };
}

/** BGP needs no interface in the subnet: a VIP some BGPAdvertisement selects is announced whatever the interfaces. */
function announcedOverBgp(entry: VipEntry, config: ClusterConfig): boolean {
  const pool = entry.pool;
  if (!pool || !config.bgp || config.bgp.peers.length === 0) return false;
  return config.bgp.advertisements.some((ad) => advertisesPool(ad, pool) && entry.services.some((s) => anySelectorMatches(ad.serviceSelectors, s.labels)));
}

function interfacesInSubnetOf(entry: VipEntry): InterfaceFact[] {
  const names = new Set(["", ...entry.advertisements.flatMap((ad) => ad.interfaces)]);
  const address = `${entry.vip}/${bitsOf(entry.ip.family)}`;
  return [...names].map((name) => ({ name, mac: "", up: true, answerable: true, addresses: [address], routes: [] }));
}

/** The pool's address block holding the VIP, as the pool lists it ("198.18.0.0/24" or "198.18.0.10-198.18.0.20"). */
function subnetOf(entry: VipEntry): string {
  for (const block of entry.pool?.addresses ?? []) {
    try {
      if (rangeContains(parseAddressBlock(block), entry.ip)) return block;
    } catch {
      // an unparsable block cannot hold the VIP
    }
  }
  return entry.vip;
}
