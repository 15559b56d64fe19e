// An extra BGP router on the lab's node segment, of any kind (FRR, BIRD 2, GoBGP): namespace `<prefix>peer<h>` on the
// switch as 198.18.0.<h> / 2001:db8:0:1::<h> (h in 3..9, clear of the lab router .1, NATS .2 and the nodes .11+).
// It only peers: no forwarding, nothing behind it. The namespace carries the run prefix, so Lab.destroy and the
// stale-run sweep remove it and the daemon in it.
import type { Lab } from "./lab.js";
import { deleteNamespace } from "./naming.js";
import { routerDaemon, type RouterDaemon, type RouterKind, type RouterNeighborSpec, type RouterPath, type RouterSpec } from "./routerDaemon.js";
import { run } from "./run.js";
import { LAB_V4_PREFIX, LAB_V6_PREFIX } from "./topology.js";

export const PEER_ROUTER_HOSTS = [3, 4, 5, 6, 7, 8, 9] as const;

export type LabPeerRouterOptions = {
  kind: RouterKind;
  /** Last octet of its addresses, 3..9. */
  host: number;
  asn: number;
  holdTimeS?: number;
  neighbors: readonly RouterNeighborSpec[];
  bfd?: RouterSpec["bfd"];
};

export class LabPeerRouter {
  readonly ns: string;
  readonly v4: string;
  readonly v6: string;
  readonly daemon: RouterDaemon;

  constructor(private readonly lab: Lab, private readonly opts: LabPeerRouterOptions) {
    if (!(PEER_ROUTER_HOSTS as readonly number[]).includes(opts.host)) throw new Error(`lab: peer router host must be 3..9, not ${opts.host}`);
    this.ns = `${lab.prefix}peer${opts.host}`;
    this.v4 = `${LAB_V4_PREFIX}${opts.host}`;
    this.v6 = `${LAB_V6_PREFIX}${opts.host}`;
    this.daemon = routerDaemon(opts.kind, this.ns, lab.prefix);
  }

  get kind(): RouterKind {
    return this.opts.kind;
  }

  async start(): Promise<void> {
    const { ns, lab } = this;
    const sw = lab.ns("sw");
    const port = `v-peer${this.opts.host}`;
    await run(["ip", "netns", "add", ns]);
    await run(["ip", "netns", "exec", ns, "sysctl", "-q", "-w", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0"]);
    await run(["ip", "-n", sw, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns]);
    await run(["ip", "-n", sw, "link", "set", port, "master", "br0"]);
    await run(["ip", "-n", sw, "link", "set", port, "up"]);
    await run(["ip", "-n", ns, "addr", "add", `${this.v4}/24`, "dev", "eth0"]);
    await run(["ip", "-n", ns, "addr", "add", `${this.v6}/64`, "dev", "eth0", "nodad"]);
    await run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
    await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
    await this.daemon.start({ asn: this.opts.asn, routerId: this.v4, holdTimeS: this.opts.holdTimeS ?? 9, neighbors: this.opts.neighbors, ...(this.opts.bfd ? { bfd: this.opts.bfd } : {}) });
  }

  established(neighbor: string): Promise<boolean> {
    return this.daemon.established(neighbor);
  }

  paths(prefix: string): Promise<RouterPath[]> {
    return this.daemon.paths(prefix);
  }

  lastShutdownMessage(neighbor: string): Promise<string | undefined> {
    return this.daemon.lastShutdownMessage(neighbor);
  }

  /** Kills the daemon with the namespace and removes its directory. Idempotent. */
  async stop(): Promise<void> {
    await deleteNamespace(this.ns);
    this.daemon.removeDir();
  }
}
