import { readFileSync } from "node:fs";

// The node's routes per interface, from procfs (no child process on every heartbeat). Prefixes in CIDR text.

function read(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

/** /proc/net/route: Iface Destination Gateway Flags RefCnt Use Metric Mask ...; addresses are little-endian hex. */
function ipv4Routes(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    const [iface, dest, , flags, , , , mask] = f;
    if (!iface || !dest || !mask || !flags || (Number.parseInt(flags, 16) & 1) === 0) continue; // RTF_UP
    const toIp = (hex: string): number[] => [0, 1, 2, 3].map((i) => Number.parseInt(hex.slice(6 - 2 * i, 8 - 2 * i), 16));
    const prefix = toIp(mask).reduce((n, byte) => n + byte.toString(2).split("").filter((b) => b === "1").length, 0);
    out.push([iface, `${toIp(dest).join(".")}/${prefix}`]);
  }
  return out;
}

/** /proc/net/ipv6_route: dest(32 hex) plen src splen nexthop metric refcnt use flags iface. */
function ipv6Routes(text: string): [string, string][] {
  const out: [string, string][] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    const [dest, plen] = f;
    const iface = f[9];
    if (!dest || dest.length !== 32 || !plen || !iface || dest.startsWith("fe80") || dest.startsWith("ff")) continue;
    const groups = dest.match(/.{4}/g)?.map((g) => Number.parseInt(g, 16).toString(16)) ?? [];
    out.push([iface, `${groups.join(":")}/${Number.parseInt(plen, 16)}`]);
  }
  return out;
}

export function routesByInterface(): Map<string, string[]> {
  const byIface = new Map<string, string[]>();
  for (const [iface, prefix] of [...ipv4Routes(read("/proc/net/route")), ...ipv6Routes(read("/proc/net/ipv6_route"))]) {
    if (iface === "lo") continue;
    byIface.set(iface, [...(byIface.get(iface) ?? []), prefix]);
  }
  for (const routes of byIface.values()) routes.sort();
  return byIface;
}
