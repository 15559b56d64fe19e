// A real FRR router (zebra + bgpd) in a network namespace of its own, linked to the host by a veth pair, for tests
// of the BGP speaker. Names carry a per-run prefix `vmb<pid>-<rand4>-`; addresses come from 198.19.0.0/16 and
// 2001:db8::/32 only. Everything is removed by stop(), at process exit, and (for runs whose process died) by the
// sweep at the next start. Needs root and Debian's `frr` package.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FRR = "/usr/lib/frr";
const NS_RE = /^vmb(\d+)-[0-9a-z]{4}-frr$/;

export interface FrrNeighbor {
  readonly address: string;
  readonly asn: number;
  /** FRR timers: keepalive and hold seconds. */
  readonly timers?: readonly [number, number];
  /** TCP MD5 password (RFC 2385). */
  readonly password?: string;
}

export interface FrrOptions {
  readonly asn: number;
  /** Prefixes the router originates (sent to its neighbors), IPv4 and IPv6. */
  readonly networks?: readonly string[];
  /** `bgp graceful-restart`: FRR offers the capability (restarting and helper). */
  readonly gracefulRestart?: boolean;
  readonly neighbors: (link: FrrLink) => readonly FrrNeighbor[];
}

/** The veth between the host (the speaker's side) and the router namespace. */
export interface FrrLink {
  readonly hostV4: string;
  readonly routerV4: string;
  readonly hostV6: string;
  readonly routerV6: string;
}

function sh(args: string[], allowFail = false): string {
  try {
    return execFileSync(args[0] as string, args.slice(1), { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (err) {
    if (allowFail) return "";
    const e = err as { stderr?: string; message: string };
    throw new Error(`${args.join(" ")}: ${e.stderr ?? e.message}`);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function deleteNamespace(ns: string): void {
  for (const pid of sh(["ip", "netns", "pids", ns], true).split(/\s+/).filter(Boolean)) {
    try {
      process.kill(Number(pid), "SIGKILL");
    } catch {
      /* gone */
    }
  }
  sh(["ip", "netns", "del", ns], true); // also removes the veth pair
}

/** Removes router namespaces left by test processes that no longer exist. */
export function sweepStaleFrr(): void {
  for (const ns of sh(["ip", "netns", "list"], true).split("\n").map((l) => l.trim().split(/\s+/)[0] ?? "")) {
    const m = NS_RE.exec(ns);
    if (m !== null && !pidAlive(Number(m[1]))) deleteNamespace(ns);
  }
}

export class FrrRouter {
  readonly ns: string;
  readonly link: FrrLink;
  private readonly dir: string;
  private readonly hostIf: string;
  private stopped = false;
  private readonly onExit = (): void => this.stop();

  private constructor(readonly options: FrrOptions) {
    const rand = randomBytes(4).toString("hex");
    const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
    const tag = [...randomBytes(4)].map((b) => alphabet[b % 36]).join("");
    this.ns = `vmb${process.pid}-${tag}-frr`;
    this.hostIf = `vb${rand.slice(0, 8)}h`;
    const octet = 1 + (randomBytes(1)[0] as number) % 254;
    this.link = {
      hostV4: `198.19.${octet}.1`,
      routerV4: `198.19.${octet}.2`,
      hostV6: `2001:db8:ff${octet.toString(16).padStart(2, "0")}::1`,
      routerV6: `2001:db8:ff${octet.toString(16).padStart(2, "0")}::2`,
    };
    this.dir = mkdtempSync(join(tmpdir(), `vmb${process.pid}-`));
  }

  /** Creates the namespace and link, writes the configuration and starts zebra and bgpd. */
  static start(options: FrrOptions): FrrRouter {
    sweepStaleFrr();
    const r = new FrrRouter(options);
    process.once("exit", r.onExit);
    try {
      r.setUp();
    } catch (err) {
      r.stop();
      throw err;
    }
    return r;
  }

  private setUp(): void {
    const { ns, hostIf, link, dir } = this;
    const routerIf = `${hostIf.slice(0, -1)}r`;
    const inNs = (...args: string[]): string => sh(["ip", "netns", "exec", ns, ...args]);
    sh(["ip", "netns", "add", ns]);
    sh(["ip", "link", "add", hostIf, "type", "veth", "peer", "name", routerIf]);
    sh(["ip", "link", "set", routerIf, "netns", ns]);
    sh(["ip", "addr", "add", `${link.hostV4}/30`, "dev", hostIf]);
    sh(["ip", "-6", "addr", "add", `${link.hostV6}/64`, "dev", hostIf, "nodad"]);
    sh(["ip", "link", "set", hostIf, "up"]);
    inNs("ip", "link", "set", "lo", "up");
    inNs("ip", "addr", "add", `${link.routerV4}/30`, "dev", routerIf);
    inNs("ip", "-6", "addr", "add", `${link.routerV6}/64`, "dev", routerIf, "nodad");
    inNs("ip", "link", "set", routerIf, "up");
    const neighbors = this.options.neighbors(link);
    const conf = [
      "frr defaults datacenter",
      "hostname vmb-router",
      `router bgp ${this.options.asn}`,
      ` bgp router-id ${link.routerV4}`,
      " no bgp ebgp-requires-policy",
      " no bgp network import-check",
      " bgp bestpath as-path multipath-relax",
      ...(this.options.gracefulRestart ? [" bgp graceful-restart"] : []),
      ...neighbors.flatMap((n) => [` neighbor ${n.address} remote-as ${n.asn}`, ...(n.timers ? [` neighbor ${n.address} timers ${n.timers[0]} ${n.timers[1]}`] : []), ...(n.password ? [` neighbor ${n.address} password ${n.password}`] : [])]),
      " address-family ipv4 unicast",
      ...(this.options.networks ?? []).filter((n) => !n.includes(":")).map((n) => `  network ${n}`),
      " exit-address-family",
      " address-family ipv6 unicast",
      ...neighbors.map((n) => `  neighbor ${n.address} activate`),
      ...(this.options.networks ?? []).filter((n) => n.includes(":")).map((n) => `  network ${n}`),
      " exit-address-family",
      "",
    ].join("\n");
    writeFileSync(join(dir, "bgpd.conf"), conf);
    writeFileSync(join(dir, "zebra.conf"), "");
    const frr = Number(sh(["id", "-u", "frr"]).trim());
    const frrGroup = Number(sh(["id", "-g", "frr"]).trim());
    for (const f of ["", "bgpd.conf", "zebra.conf"]) chownSync(join(dir, f), frr, frrGroup);
    inNs(`${FRR}/zebra`, "-d", "-f", join(dir, "zebra.conf"), "-i", join(dir, "zebra.pid"), ...this.commonArgs());
    this.startBgpd();
  }

  private commonArgs(): string[] {
    return ["--vty_socket", this.dir, "-z", join(this.dir, "zserv.api")];
  }

  private startBgpd(): void {
    sh(["ip", "netns", "exec", this.ns, `${FRR}/bgpd`, "-d", "-f", join(this.dir, "bgpd.conf"), "-i", join(this.dir, "bgpd.pid"), ...this.commonArgs()]);
  }

  /** A router restart: bgpd killed (SIGKILL, so no NOTIFICATION goes out), then started again from its configuration. */
  async restartBgpd(): Promise<void> {
    const pid = Number(sh(["cat", join(this.dir, "bgpd.pid")]).trim());
    process.kill(pid, "SIGKILL");
    await eventually("bgpd gone", () => (pidAlive(pid) ? undefined : true), 5_000, 20);
    this.startBgpd();
  }

  /** Runs a vtysh command and parses its JSON output. */
  vtysh<T = Record<string, unknown>>(command: string): T {
    const out = sh(["ip", "netns", "exec", this.ns, "vtysh", "--vty_socket", this.dir, "-c", command]);
    return JSON.parse(out === "" ? "{}" : out) as T;
  }

  /** Sends a signal to bgpd (SIGSTOP to freeze it, SIGCONT to resume). */
  signalBgpd(signal: NodeJS.Signals): void {
    const pid = Number(sh(["cat", join(this.dir, "bgpd.pid")]).trim());
    process.kill(pid, signal);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    process.removeListener("exit", this.onExit);
    deleteNamespace(this.ns);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs` with the last value seen. */
export async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = probe();
      if (v !== undefined) return v;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${lastError === undefined ? "" : `: ${String(lastError)}`}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// Reading FRR's state as JSON, for the standalone FrrRouter above (synchronous vtysh) and the lab's router
// (src/lab/bgpRouter.ts, asynchronous) alike.

/** Anything that runs a vtysh command and parses its JSON output. */
export type Vtysh = { vtysh<T>(command: string): T | Promise<T> };

export type FrrBgpPath = { community?: { string: string }; largeCommunity?: { string: string }; locPrf?: number; nexthops?: Array<{ ip: string }> };
export type FrrPeerSummary = { state: string; peerUptimeMsec?: number; peerUptimeEstablishedEpoch?: number; connectionsEstablished?: number; connectionsDropped?: number };

/** Active next hops of the selected BGP route for `prefix` in FRR's RIB (zebra), sorted; empty when there is none. */
export async function frrRibNextHops(r: Vtysh, prefix: string): Promise<string[]> {
  type RouteEntry = { protocol: string; selected?: boolean; nexthops?: Array<{ ip?: string; active?: boolean }> };
  const cmd = prefix.includes(":") ? `show ipv6 route ${prefix} json` : `show ip route ${prefix} json`;
  const entries = (await r.vtysh<Record<string, RouteEntry[]>>(cmd))[prefix] ?? [];
  const bgp = entries.find((e) => e.protocol === "bgp" && e.selected);
  return (bgp?.nexthops ?? []).filter((n) => n.active !== false).map((n) => n.ip ?? "").sort();
}

/** Every path bgpd holds for `prefix` (one per advertising neighbor). */
export async function frrBgpPaths(r: Vtysh, prefix: string): Promise<FrrBgpPath[]> {
  return (await r.vtysh<{ paths?: FrrBgpPath[] }>(`show bgp ${prefix.includes(":") ? "ipv6" : "ipv4"} unicast ${prefix} json`)).paths ?? [];
}

/** `show bgp summary json`: the IPv4 unicast neighbors by address. */
export async function frrIpv4Peers(r: Vtysh): Promise<Record<string, FrrPeerSummary>> {
  return (await r.vtysh<{ ipv4Unicast?: { peers?: Record<string, FrrPeerSummary> } }>("show bgp summary json")).ipv4Unicast?.peers ?? {};
}
