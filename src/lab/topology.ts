// Lab addressing plan and the switch/veth wiring. One L2 segment: 198.18.0.0/24 and 2001:db8:0:1::/64.
import { run } from "./run.js";
import type { LabRole } from "./types.js";

export const LAB_V4_PREFIX = "198.18.0.";
export const LAB_V4_CIDR = "198.18.0.0/24";
export const LAB_V6_PREFIX = "2001:db8:0:1::";
export const LAB_V6_CIDR = "2001:db8:0:1::/64";
export const VIP_V4_FIRST = "198.18.0.200";
export const VIP_V4_LAST = "198.18.0.250";
export const MAX_NODES = 50;
/** Bridge FDB ageing in centiseconds (iproute2 unit): 300 s, as on an ordinary switch. */
export const BRIDGE_AGEING_CS = 30_000;

/** Host part (last IPv4 octet) of a non-switch role. */
export function hostPart(role: LabRole): number {
  if (role === "nats") return 2;
  if (role === "client") return 100;
  const m = /^node(\d+)$/.exec(role);
  const k = Number(m?.[1]);
  if (!m || !Number.isInteger(k) || k < 1 || k > MAX_NODES) throw new Error(`lab: no address for role ${role}`);
  return 10 + k;
}

export const roleIp = (role: LabRole): string => `${LAB_V4_PREFIX}${hostPart(role)}`;
/** IPv6 address: same digits as the IPv4 host part, e.g. node1 = 2001:db8:0:1::11. */
export const roleIp6 = (role: LabRole): string => `${LAB_V6_PREFIX}${hostPart(role)}`;
/** Deterministic, locally administered MAC: 02:00:c6:12:00:<host part in hex>. */
export const roleMac = (role: LabRole): string =>
  `02:00:c6:12:00:${hostPart(role).toString(16).padStart(2, "0")}`;

export const nodeRole = (k: number): LabRole => `node${k}`;

/** The 51 VIPs reserved for tests: 198.18.0.200 .. 198.18.0.250. */
export function vipPool(): string[] {
  return Array.from({ length: 51 }, (_, i) => `${LAB_V4_PREFIX}${200 + i}`);
}

/** Roles of a lab with `nodes` nodes, switch first. */
export function labRoles(nodes: number): LabRole[] {
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > MAX_NODES) throw new Error(`lab: nodes must be 1..${MAX_NODES}`);
  return ["sw", "nats", "client", ...Array.from({ length: nodes }, (_, i) => nodeRole(i + 1))];
}

const sysctl = (ns: string, ...kv: string[]): Promise<unknown> =>
  run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", ...kv]);

/** Prepares the switch namespace: no IPv6 on its own ports, bridge br0 without multicast snooping. */
export async function buildSwitch(swNs: string): Promise<void> {
  await sysctl(swNs, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
  await run(["ip", "-n", swNs, "link", "set", "lo", "up"]);
  await run([
    "ip", "-n", swNs, "link", "add", "br0", "type", "bridge",
    "stp_state", "0", "mcast_snooping", "0", "ageing_time", String(BRIDGE_AGEING_CS),
  ]);
  await run(["ip", "-n", swNs, "link", "set", "br0", "up"]);
}

/**
 * Wires one host namespace to the switch: a veth `v-<role>` in the switch (enslaved to br0) whose peer is
 * created directly inside the host namespace as `eth0`. Nothing is ever created in the root namespace.
 */
export async function attachHost(swNs: string, hostNs: string, role: LabRole): Promise<void> {
  // DAD off before eth0 exists, so it inherits it; `nodad` on the address as well.
  await sysctl(hostNs, "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0");
  const port = `v-${role}`;
  await run(["ip", "-n", swNs, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", hostNs]);
  await run(["ip", "-n", swNs, "link", "set", port, "master", "br0"]);
  await run(["ip", "-n", swNs, "link", "set", port, "up"]);
  await run(["ip", "-n", hostNs, "link", "set", "eth0", "address", roleMac(role)]);
  await run(["ip", "-n", hostNs, "addr", "add", `${roleIp(role)}/24`, "dev", "eth0"]);
  await run(["ip", "-n", hostNs, "addr", "add", `${roleIp6(role)}/64`, "dev", "eth0", "nodad"]);
  await run(["ip", "-n", hostNs, "link", "set", "lo", "up"]);
  await run(["ip", "-n", hostNs, "link", "set", "eth0", "up"]);
}
