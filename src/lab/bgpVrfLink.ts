// A point-to-point link from one node straight to the lab router, whose node end only sockets bound to a device can
// use: the node's main routing table has no route to the router's end, so a BGP session over it comes up only when
// the BGPPeer names the device (`vrf`, SO_BINDTODEVICE in native/bgpsock.c).
//   "none"    a plain link, for a session of its own to the router (another ASN, say).
//   "vrf"     the node end is enslaved to a VRF device (`ip link add vrf-x type vrf table N; ip link set bgp0 master
//             vrf-x`): the link's routes move to table N, reached through the VRF's l3mdev rule.
//   "device"  for kernels built without VRF devices (CONFIG_NET_VRF): the same parts a VRF is made of, by hand. The
//             link's connected route moves from the main table to table N and `ip rule oif/iif bgp0 lookup N` sends
//             only traffic bound to the interface there. The BGPPeer then names the interface itself.
// Everything lives in the node's and the router's namespaces and goes with them.
import type { Lab } from "./lab.js";
import { newRunPrefix } from "./naming.js";
import { run, runSync } from "./run.js";
import { nodeRole } from "./topology.js";

export type VrfIsolation = "vrf" | "device" | "none";

export type VrfLinkOptions = {
  node: number;
  isolation: VrfIsolation;
  /** The VRF device ("vrf" isolation), default vrf-x. */
  vrfName?: string;
  /** Routing table of the VRF (or of the stand-in), default 100 + index. */
  table?: number;
  /** Which link of the lab (0..62): 198.18.3.(4i+1) on the router, .(4i+2) on the node. */
  index?: number;
  /** The router's `remote-as` for the node on this link, default the lab's ASN. */
  asn?: number;
};

export type VrfLink = Required<Omit<VrfLinkOptions, "asn">> & {
  asn: number | null;
  routerAddress: string;
  nodeAddress: string;
  /** Interface names: in the router's namespace and in the node's. */
  routerIf: string;
  nodeIf: string;
  /** What the BGPPeer's `vrf` names: the VRF device, or the interface itself with "device" isolation. */
  bindTo: string;
};

export function vrfLink(o: VrfLinkOptions): VrfLink {
  const index = o.index ?? 0;
  if (!Number.isInteger(index) || index < 0 || index > 62) throw new Error(`lab: VRF link index ${index} out of 0..62`);
  const vrfName = o.vrfName ?? "vrf-x";
  const nodeIf = `bgp${index}`;
  return {
    node: o.node, isolation: o.isolation, vrfName, table: o.table ?? 100 + index, index, asn: o.asn ?? null,
    routerAddress: `198.18.3.${4 * index + 1}`, nodeAddress: `198.18.3.${4 * index + 2}`,
    routerIf: `p2p${index}`, nodeIf, bindTo: o.isolation === "vrf" ? vrfName : nodeIf,
  };
}

/** Creates the link between `routerNs` and the node, and isolates the node's end. */
export async function createVrfLink(lab: Lab, routerNs: string, l: VrfLink): Promise<void> {
  const ns = lab.ns(nodeRole(l.node));
  const table = String(l.table);
  await run(["ip", "-n", routerNs, "link", "add", l.routerIf, "type", "veth", "peer", "name", l.nodeIf, "netns", ns]);
  await run(["ip", "-n", routerNs, "addr", "add", `${l.routerAddress}/30`, "dev", l.routerIf]);
  await run(["ip", "-n", routerNs, "link", "set", l.routerIf, "up"]);
  if (l.isolation === "vrf") {
    await run(["ip", "-n", ns, "link", "add", l.vrfName, "type", "vrf", "table", table]);
    await run(["ip", "-n", ns, "link", "set", l.vrfName, "up"]);
    await run(["ip", "-n", ns, "link", "set", l.nodeIf, "master", l.vrfName]);
  }
  await run(["ip", "-n", ns, "addr", "add", `${l.nodeAddress}/30`, "dev", l.nodeIf]);
  await run(["ip", "-n", ns, "link", "set", l.nodeIf, "up"]);
  if (l.isolation === "device") {
    const subnet = `198.18.3.${4 * l.index}/30`;
    await run(["ip", "-n", ns, "route", "del", subnet, "dev", l.nodeIf]);
    await run(["ip", "-n", ns, "route", "add", subnet, "dev", l.nodeIf, "src", l.nodeAddress, "table", table]);
    await run(["ip", "-n", ns, "rule", "add", "oif", l.nodeIf, "lookup", table]);
    await run(["ip", "-n", ns, "rule", "add", "iif", l.nodeIf, "lookup", table]);
  }
}

/** Whether this kernel can create VRF devices (CONFIG_NET_VRF): tried in a throwaway lab-named namespace. */
export function kernelSupportsVrf(): boolean {
  const ns = `${newRunPrefix()}vrfprobe`; // a lab name: the stale-run sweep removes it should we die right here
  if (runSync(["ip", "netns", "add", ns]).code !== 0) return false;
  try {
    return runSync(["ip", "-n", ns, "link", "add", "vrf-probe", "type", "vrf", "table", "250"]).code === 0;
  } finally {
    runSync(["ip", "netns", "del", ns]);
  }
}
