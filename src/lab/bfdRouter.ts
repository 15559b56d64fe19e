// A BFD peer for the lab: FRR's bfdd (with zebra) in the namespace `<prefix>bfdr`, on the switch as 198.18.0.1 /
// 2001:db8:0:1::1, with single-hop or multihop peers for the given nodes (BIRD's BFD: birdBfdRouter.ts). The namespace carries the run's prefix, so
// Lab.destroy and the stale-run sweep remove it (and bfdd in it). Not to be combined with LabBgpRouter in one lab
// (same addresses).
import { FrrDaemons } from "./frrDaemons.js";
import type { Lab } from "./lab.js";
import { deleteNamespace } from "./naming.js";
import { run } from "./run.js";

export const BFD_ROUTER_V4 = "198.18.0.1";
export const BFD_ROUTER_V6 = "2001:db8:0:1::1";

/** One FRR peer; its local address is the router's address of the peer's family. */
export type BfdRouterPeer = { address: string; receiveMs: number; transmitMs: number; detectMultiplier: number; passive?: boolean; multihop?: boolean };

const peerKey = (address: string, multihop: boolean): string =>
  `peer ${address}${multihop ? " multihop" : ""} local-address ${address.includes(":") ? BFD_ROUTER_V6 : BFD_ROUTER_V4}`;

/** FRR's `show bfd peers json` entry, the fields the tests read. */
export type FrrBfdPeer = {
  peer: string;
  multihop: boolean;
  status: string;
  diagnostic: string;
  "remote-diagnostic": string;
  id: number;
  "remote-id": number;
  "receive-interval": number;
  "transmit-interval": number;
  "detect-multiplier": number;
  "remote-receive-interval": number;
  "remote-transmit-interval": number;
  "remote-detect-multiplier": number;
  "remote-echo-receive-interval": number;
};

/** Creates `ns` on the lab's switch as 198.18.0.1 / 2001:db8:0:1::1 (eth0). */
export async function attachBfdRouterNamespace(lab: Lab, ns: string): Promise<void> {
  await run(["ip", "netns", "add", ns]);
  const sw = lab.ns("sw");
  await run(["ip", "-n", sw, "link", "add", "v-bfdr", "type", "veth", "peer", "name", "eth0", "netns", ns]);
  await run(["ip", "-n", sw, "link", "set", "v-bfdr", "master", "br0"]);
  await run(["ip", "-n", sw, "link", "set", "v-bfdr", "up"]);
  await run(["ip", "-n", ns, "addr", "add", `${BFD_ROUTER_V4}/24`, "dev", "eth0"]);
  await run(["ip", "-n", ns, "addr", "add", `${BFD_ROUTER_V6}/64`, "dev", "eth0", "nodad"]);
  await run(["ip", "-n", ns, "link", "set", "eth0", "up"]);
  await run(["ip", "-n", ns, "link", "set", "lo", "up"]);
}

export class LabBfdRouter {
  readonly ns: string;
  private readonly frr: FrrDaemons;

  constructor(private readonly lab: Lab, private readonly peers: readonly BfdRouterPeer[]) {
    this.ns = `${lab.prefix}bfdr`;
    this.frr = new FrrDaemons(this.ns, lab.prefix);
  }

  async start(): Promise<void> {
    await attachBfdRouterNamespace(this.lab, this.ns);
    await this.frr.start("hostname vipmesh-lab-bfd\n");
    await this.frr.startBfdd(["hostname vipmesh-lab-bfd", "bfd", ...this.peers.flatMap((p) => this.peerLines(p)), "!", ""].join("\n"));
  }

  private peerLines(p: BfdRouterPeer): string[] {
    return [
      ` ${peerKey(p.address, p.multihop ?? false)}`,
      `  receive-interval ${p.receiveMs}`,
      `  transmit-interval ${p.transmitMs}`,
      `  detect-multiplier ${p.detectMultiplier}`,
      ...(p.passive ? ["  passive-mode"] : []),
      " !",
    ];
  }

  /** `show bfd peers json`, by peer address and kind ("198.18.0.11" single hop, "198.18.0.11 multihop"). */
  async peersByAddress(): Promise<Map<string, FrrBfdPeer>> {
    const list = await this.frr.vtysh<FrrBfdPeer[] | Record<string, never>>("show bfd peers json");
    return new Map((Array.isArray(list) ? list : []).map((p) => [`${p.peer}${p.multihop ? " multihop" : ""}`, p]));
  }

  /** Configuration commands under `bfd` / `peer <address> ...`, e.g. `shutdown`, `receive-interval 100`. */
  peerCommands(address: string, commands: readonly string[], multihop = false): Promise<void> {
    return this.frr.configure(["bfd", peerKey(address, multihop), ...commands]);
  }

  /** Sends a signal to bfdd (SIGSTOP freezes it: the peer stops sending without saying so). */
  async signalBfdd(signal: NodeJS.Signals): Promise<void> {
    const r = await run(["cat", `${this.frr.dir}/bfdd.pid`]);
    process.kill(Number(r.stdout.trim()), signal);
  }

  async stop(): Promise<void> {
    await deleteNamespace(this.ns);
    this.frr.removeDir();
  }
}
