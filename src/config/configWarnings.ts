import { parseAddressBlock, rangeContains, type IpRange } from "../net/cidr.js";
import { parseIp } from "../net/ip.js";
import { advertisesPool } from "./advertisesPool.js";
import { objectName } from "./keptEntries.js";
import { ANNOTATIONS } from "./serviceManifest.js";
import type { ClusterConfig, PoolConfig, ServiceConfig } from "./types.js";

// What is valid but almost certainly not what the operator meant: nothing is refused for it, nothing is left out,
// and the configuration applies as given. Each warning names object, field and reason, like a problem.

export function configWarnings(config: ClusterConfig, objects: readonly unknown[]): string[] {
  const blocks = config.pools.flatMap((p) => p.addresses.flatMap((text) => rangeOf(text)));
  return [...advertisementWarnings(config), ...unadvertisedPoolWarnings(config), ...config.services.flatMap((s) => serviceWarnings(s, config.pools, blocks, objects))];
}

function advertisementWarnings(config: ClusterConfig): string[] {
  const pools = new Set(config.pools.map((p) => p.name));
  const ads = [
    ...config.l2Advertisements.map((ad) => ({ kind: "L2Advertisement", ad })),
    ...(config.bgp?.advertisements ?? []).map((ad) => ({ kind: "BGPAdvertisement", ad })),
  ];
  return ads.flatMap(({ kind, ad }) =>
    ad.ipAddressPools.flatMap((name, i) => (pools.has(name) ? [] : [`${kind}/${ad.name}: spec.ipAddressPools[${i}]: no IPAddressPool "${name}"; this advertisement announces nothing for it`])),
  );
}

function unadvertisedPoolWarnings(config: ClusterConfig): string[] {
  const ads = [...config.l2Advertisements, ...(config.bgp?.advertisements ?? [])];
  return config.pools
    .filter((pool) => !ads.some((ad) => advertisesPool(ad, pool)))
    .map((pool) => `IPAddressPool/${pool.name}: metadata.name: no L2Advertisement or BGPAdvertisement selects this pool; its IPs are allocated but not announced`);
}

function serviceWarnings(service: ServiceConfig, pools: readonly PoolConfig[], blocks: readonly IpRange[], objects: readonly unknown[]): string[] {
  const where = `Service/${service.namespace}/${service.name}`;
  const warnings: string[] = [];
  if (service.requestedPool !== null && !pools.some((p) => p.name === service.requestedPool)) {
    warnings.push(`${where}: metadata.annotations.${ANNOTATIONS.addressPool}: no IPAddressPool "${service.requestedPool}"; the Service gets no IP`);
  }
  for (const ip of service.requestedIps) {
    const parsed = parseIp(ip);
    if (!blocks.some((b) => rangeContains(b, parsed))) warnings.push(`${where}: ${requestedIpField(service, objects)}: ${ip} is in no IPAddressPool; the Service gets no IP for it`);
  }
  return warnings;
}

/** Where the Service asked for its IPs: the annotation (current or deprecated name) or spec.loadBalancerIP. */
function requestedIpField(service: ServiceConfig, objects: readonly unknown[]): string {
  const raw = objects.find((o) => {
    const n = objectName(o);
    return n?.kind === "Service" && n.name === service.name && (n.namespace ?? "default") === service.namespace;
  }) as { metadata?: { annotations?: Record<string, unknown> } } | undefined;
  const annotations = raw?.metadata?.annotations ?? {};
  const key = [ANNOTATIONS.loadBalancerIPs, ANNOTATIONS.loadBalancerIPs.replace("metallb.io/", "metallb.universe.tf/")].find((k) => k in annotations);
  return key === undefined ? "spec.loadBalancerIP" : `metadata.annotations.${key}`;
}

function rangeOf(text: string): IpRange[] {
  try {
    return [parseAddressBlock(text)];
  } catch {
    return []; // reported with the pool
  }
}
