import { networkInterfaces } from "node:os";

const CACHE_MS = 1_000;

/**
 * An interface's own addresses of one family, re-read at most once a second: getifaddrs costs tens of
 * microseconds, which a flood of requests for a VIP would otherwise pay on every frame. The kernel answers for
 * these addresses itself, so the responders must not.
 */
export function cachedInterfaceAddresses(family: "IPv4" | "IPv6", canonical: (address: string) => string = (a) => a): (ifname: string) => readonly string[] {
  const cache = new Map<string, { at: number; addresses: readonly string[] }>();
  return (ifname) => {
    const now = performance.now();
    const hit = cache.get(ifname);
    if (hit && now - hit.at < CACHE_MS) return hit.addresses;
    const addresses = (networkInterfaces()[ifname] ?? []).filter((a) => a.family === family).map((a) => canonical(a.address));
    cache.set(ifname, { at: now, addresses });
    return addresses;
  };
}
