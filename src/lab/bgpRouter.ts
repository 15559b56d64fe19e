// A BGP router for the lab: FRR (zebra + bgpd, ECMP with `maximum-paths`) in the namespace `<prefix>router`, on the
// switch as 198.18.0.1 / 2001:db8:0:1::1, peering with every node; behind it, the client moves to its own subnet
// 198.18.1.0/24 (2001:db8:0:2::/64) so every client request is routed by FRR's RIB. The namespace carries the lab's
// run prefix, so Lab.destroy and the stale-run sweep remove it (and the daemons in it) like any other.
import { createVrfLink, type VrfLink } from "./bgpVrfLink.js";
import { FrrDaemons } from "./frrDaemons.js";
import type { Lab } from "./lab.js";
import { deleteNamespace } from "./naming.js";
import { run } from "./run.js";
import { nodeRole, roleIp } from "./topology.js";
export const ROUTER_V4 = "198.18.0.1";
export const ROUTER_V6 = "2001:db8:0:1::1";
export const CLIENT_NET_V4 = "198.18.1.0/24";
export const CLIENT_NET_V6 = "2001:db8:0:2::/64";
export const ROUTER_CLIENT_V4 = "198.18.1.1";
export const CLIENT_V4 = "198.18.1.100";
export const CLIENT_V6 = "2001:db8:0:2::100";

export const FAR_NET_V4 = "198.18.2.0/24";
export const FAR_ROUTER_V4 = "198.18.2.2";

export type RouterNeighbor = { address: string; asn: number; password?: string };
/** A second router two hops from the nodes (behind this one, on 198.18.2.0/24) for ebgpMultiHop sessions (GTSM). */
export type FarRouterOptions = { asn: number; neighbors: RouterNeighbor[] };
/** A BFD profile the router's bfdd pairs with every neighbor's BGP session (`neighbor ... bfd profile lab`). */
export type RouterBfdProfile = { receiveMs: number; transmitMs: number; detectMultiplier: number };
/** `vrfLinks`: point-to-point links to single nodes, their node end in a VRF or not (bgpVrfLink.ts); list their neighbors too. */
export type BgpRouterOptions = { asn: number; neighbors: RouterNeighbor[]; holdTimeS: number; far?: FarRouterOptions; vrfLinks?: VrfLink[]; bfd?: RouterBfdProfile };

export const ROUTER_BFD_PROFILE = "lab";

export class LabBgpRouter {
  readonly ns: string;
  readonly farNs: string;
  private readonly frr: FrrDaemons;
  private readonly farFrr: FrrDaemons | undefined;

  constructor(private readonly lab: Lab, private readonly opts: BgpRouterOptions) {
    this.ns = `${lab.prefix}router`;
    this.farNs = `${lab.prefix}far`;
    this.frr = new FrrDaemons(this.ns, lab.prefix);
    this.farFrr = opts.far ? new FrrDaemons(this.farNs, lab.prefix) : undefined;
  }

  /** Creates the namespace and links, moves the client behind the router, starts zebra and bgpd. */
  async start(): Promise<void> {
    const { lab, ns } = this;
    await run(["ip", "netns", "add", ns]);
    const sw = lab.ns("sw");
    await run(["ip", "-n", sw, "link", "add", "v-router", "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await run(["ip", "-n", sw, "link", "set", "v-router", "master", "br0"]);
    await run(["ip", "-n", sw, "link", "set", "v-router", "up"]);
    await run(["ip", "-n", ns, "link", "add", "eth1", "type", "veth", "peer", "name", "eth1", "netns", lab.ns("client")]);
    await run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1", "net.ipv4.fib_multipath_hash_policy=1", "net.ipv6.fib_multipath_hash_policy=1"]);
    for (const [dev, v4, v6] of [["eth0", `${ROUTER_V4}/24`, `${ROUTER_V6}/64`], ["eth1", `${ROUTER_CLIENT_V4}/24`, "2001:db8:0:2::1/64"]] as const) {
      await run(["ip", "-n", ns, "addr", "add", v4, "dev", dev]);
      await run(["ip", "-n", ns, "addr", "add", v6, "dev", dev, "nodad"]);
      await run(["ip", "-n", ns, "link", "set", dev, "up"]);
    }
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    const client = lab.ns("client");
    await run(["ip", "-n", client, "link", "set", "eth0", "down"]); // off the node segment: routed only
    await run(["ip", "-n", client, "addr", "add", `${CLIENT_V4}/24`, "dev", "eth1"]);
    await run(["ip", "-n", client, "addr", "add", `${CLIENT_V6}/64`, "dev", "eth1", "nodad"]);
    await run(["ip", "-n", client, "link", "set", "eth1", "up"]);
    await run(["ip", "-n", client, "route", "add", "default", "via", ROUTER_CLIENT_V4]);
    await run(["ip", "-n", client, "-6", "route", "add", "default", "via", "2001:db8:0:2::1"]);
    for (let k = 1; k <= lab.nodes; k++) {
      await run(["ip", "-n", lab.ns(nodeRole(k)), "route", "add", CLIENT_NET_V4, "via", ROUTER_V4]);
      await run(["ip", "-n", lab.ns(nodeRole(k)), "-6", "route", "add", CLIENT_NET_V6, "via", ROUTER_V6]);
    }
    for (const link of this.opts.vrfLinks ?? []) await createVrfLink(lab, ns, link);
    await this.frr.start(this.config());
    if (this.opts.bfd) await this.frr.startBfdd(bfddConfig(this.opts.bfd));
    if (this.opts.far && this.farFrr) await this.startFar(this.opts.far, this.farFrr);
  }

  /** The far router: namespace `<prefix>far` linked to this router's eth2 (198.18.2.1 <-> 198.18.2.2). */
  private async startFar(far: FarRouterOptions, frr: FrrDaemons): Promise<void> {
    const { ns, farNs, lab } = this;
    await run(["ip", "netns", "add", farNs]);
    await run(["ip", "-n", ns, "link", "add", "eth2", "type", "veth", "peer", "name", "eth0", "netns", farNs]);
    await run(["ip", "-n", ns, "addr", "add", "198.18.2.1/24", "dev", "eth2"]);
    await run(["ip", "-n", ns, "link", "set", "eth2", "up"]);
    await run(["ip", "-n", farNs, "addr", "add", `${FAR_ROUTER_V4}/24`, "dev", "eth0"]);
    await run(["ip", "-n", farNs, "link", "set", "eth0", "up"]);
    await run(["ip", "-n", farNs, "link", "set", "lo", "up"]);
    await run(["ip", "-n", farNs, "route", "add", "default", "via", "198.18.2.1"]);
    for (let k = 1; k <= lab.nodes; k++) await run(["ip", "-n", lab.ns(nodeRole(k)), "route", "add", FAR_NET_V4, "via", ROUTER_V4]);
    await frr.start([
      "hostname vipmesh-lab-far",
      `router bgp ${far.asn}`,
      ` bgp router-id ${FAR_ROUTER_V4}`,
      " no bgp ebgp-requires-policy",
      " bgp bestpath as-path multipath-relax",
      // GTSM (RFC 5082): only packets that left the peer with TTL 255 and crossed at most 2 hops are accepted, so the
      // session proves the speaker set IP_TTL 255 (a default TTL of 64 would be dropped).
      ...far.neighbors.flatMap((n) => [` neighbor ${n.address} remote-as ${n.asn}`, ` neighbor ${n.address} ttl-security hops 2`, ` neighbor ${n.address} timers connect 1`]),
      " address-family ipv4 unicast",
      "  maximum-paths 16",
      " exit-address-family",
      "",
    ].join("\n"));
  }

  private config(): string {
    const { asn, neighbors, holdTimeS } = this.opts;
    const keepalive = Math.max(1, Math.floor(holdTimeS / 3));
    return [
      "hostname vipmesh-lab-router",
      `router bgp ${asn}`,
      ` bgp router-id ${ROUTER_V4}`,
      " no bgp ebgp-requires-policy",
      " no bgp default ipv4-unicast",
      " bgp bestpath as-path multipath-relax",
      " bgp graceful-restart",
      ...neighbors.flatMap((n) => [
        ` neighbor ${n.address} remote-as ${n.asn}`,
        ` neighbor ${n.address} timers ${keepalive} ${holdTimeS}`,
        ` neighbor ${n.address} timers connect 1`,
        ...(n.password === undefined ? [] : [` neighbor ${n.address} password ${n.password}`]),
        ...(this.opts.bfd === undefined ? [] : [` neighbor ${n.address} bfd profile ${ROUTER_BFD_PROFILE}`]),
      ]),
      " address-family ipv4 unicast",
      "  maximum-paths 16",
      "  maximum-paths ibgp 16",
      ...neighbors.map((n) => `  neighbor ${n.address} activate`),
      " exit-address-family",
      " address-family ipv6 unicast",
      "  maximum-paths 16",
      ...neighbors.map((n) => `  neighbor ${n.address} activate`),
      " exit-address-family",
      "",
    ].join("\n");
  }

  /** A vtysh command's JSON output. */
  vtysh<T = Record<string, unknown>>(command: string): Promise<T> {
    return this.frr.vtysh<T>(command);
  }

  /** Configuration commands on the router (`configure terminal` first), e.g. under `bfd` / `profile lab`. */
  configure(commands: readonly string[]): Promise<void> {
    return this.frr.configure(commands);
  }

  /** Sends a signal to the router's bfdd (SIGSTOP: it stops sending without saying so). Only with `bfd`. */
  signalBfdd(signal: NodeJS.Signals): Promise<void> {
    return this.signalDaemon("bfdd", signal);
  }

  /** Sends a signal to one of the router's FRR daemons (SIGKILL to bgpd: every BGP session drops, bfdd stays). */
  async signalDaemon(daemon: "bgpd" | "bfdd" | "zebra", signal: NodeJS.Signals): Promise<void> {
    const r = await run(["cat", `${this.frr.dir}/${daemon}.pid`]);
    process.kill(Number(r.stdout.trim()), signal);
  }

  /** vtysh on the far router (only with `far`). */
  farVtysh<T = Record<string, unknown>>(command: string): Promise<T> {
    if (!this.farFrr) throw new Error("lab: no far router");
    return this.farFrr.vtysh<T>(command);
  }

  /** Next hops of `prefix` in the kernel FIB of the router (what forwarding uses), sorted. */
  async fibNextHops(prefix: string): Promise<string[]> {
    const v6 = prefix.includes(":");
    const r = await run(["ip", "-n", this.ns, ...(v6 ? ["-6"] : []), "-j", "route", "show", prefix], { allowFail: true });
    const routes = JSON.parse(r.stdout.trim() || "[]") as Array<{ gateway?: string; nexthops?: Array<{ gateway: string }> }>;
    return routes.flatMap((x) => (x.nexthops ? x.nexthops.map((n) => n.gateway) : x.gateway ? [x.gateway] : [])).sort();
  }

  /** Kills zebra and bgpd with the namespace and removes the configuration directory. Idempotent. */
  async stop(): Promise<void> {
    if (this.farFrr) await deleteNamespace(this.farNs);
    await deleteNamespace(this.ns);
    this.frr.removeDir();
    this.farFrr?.removeDir();
  }

  static nodeAddress(k: number): string {
    return roleIp(nodeRole(k));
  }
}

function bfddConfig(p: RouterBfdProfile): string {
  return [
    "hostname vipmesh-lab-router", "bfd", ` profile ${ROUTER_BFD_PROFILE}`,
    `  receive-interval ${p.receiveMs}`, `  transmit-interval ${p.transmitMs}`, `  detect-multiplier ${p.detectMultiplier}`,
    " !", "!", "",
  ].join("\n");
}
