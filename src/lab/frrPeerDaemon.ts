// FRR (zebra + bgpd) behind the lab's RouterDaemon interface, for tests that run the same checks against FRR, BIRD 2
// and GoBGP. (src/lab/bgpRouter.ts is the lab's forwarding router with the client behind it; this one only peers.)
import { FrrDaemons } from "./frrDaemons.js";
import { byFrom, neighborFamilies, type RouterDaemon, type RouterFamily, type RouterPath, type RouterSpec } from "./routerDaemon.js";

export function frrPeerConfig(spec: RouterSpec): string {
  const keepalive = Math.max(1, Math.floor(spec.holdTimeS / 3));
  const activate = (f: RouterFamily): string[] => spec.neighbors.filter((n) => neighborFamilies(n).includes(f)).map((n) => `  neighbor ${n.address} activate`);
  return [
    "hostname vipmesh-lab-peer",
    `router bgp ${spec.asn}`,
    ` bgp router-id ${spec.routerId}`,
    " no bgp ebgp-requires-policy",
    " no bgp default ipv4-unicast",
    ...spec.neighbors.flatMap((n) => [
      ` neighbor ${n.address} remote-as ${n.asn}`,
      ` neighbor ${n.address} timers ${keepalive} ${spec.holdTimeS}`,
      ` neighbor ${n.address} timers connect 1`,
      ...(n.password === undefined ? [] : [` neighbor ${n.address} password ${n.password}`]),
    ]),
    " address-family ipv4 unicast",
    ...activate("ipv4"),
    " exit-address-family",
    " address-family ipv6 unicast",
    ...activate("ipv6"),
    " exit-address-family",
    "",
  ].join("\n");
}

type FrrPathJson = { peer?: { peerId?: string }; nexthops?: Array<{ ip?: string; scope?: string }> };
type FrrNeighborJson = { bgpState?: string; lastShutdownDescription?: string };

export class FrrPeerDaemon implements RouterDaemon {
  readonly kind = "frr" as const;
  private readonly frr: FrrDaemons;

  constructor(readonly ns: string, labPrefix: string) {
    this.frr = new FrrDaemons(ns, labPrefix);
  }

  start(spec: RouterSpec): Promise<void> {
    return this.frr.start(frrPeerConfig(spec));
  }

  vtysh<T = Record<string, unknown>>(command: string): Promise<T> {
    return this.frr.vtysh<T>(command);
  }

  private async neighbor(address: string): Promise<FrrNeighborJson | undefined> {
    return (await this.vtysh<Record<string, FrrNeighborJson>>(`show bgp neighbors ${address} json`))[address];
  }

  async established(neighbor: string): Promise<boolean> {
    return (await this.neighbor(neighbor))?.bgpState === "Established";
  }

  async paths(prefix: string): Promise<RouterPath[]> {
    const family = prefix.includes(":") ? "ipv6" : "ipv4";
    const r = await this.vtysh<{ paths?: FrrPathJson[] }>(`show bgp ${family} unicast ${prefix} json`);
    return (r.paths ?? [])
      .map((p) => ({ from: p.peer?.peerId ?? "", nextHop: p.nexthops?.find((n) => n.scope !== "link-local")?.ip ?? "" }))
      .sort(byFrom);
  }

  async lastShutdownMessage(neighbor: string): Promise<string | undefined> {
    return (await this.neighbor(neighbor))?.lastShutdownDescription;
  }

  removeDir(): void {
    this.frr.removeDir();
  }
}
