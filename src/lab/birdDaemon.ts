// BIRD 2 as a lab BGP router: one `protocol bgp` per neighbor with an ipv4 and/or ipv6 channel (import all, export
// none), connected routes from `protocol direct` so iBGP next hops resolve; read back through birdc's text output.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseBirdBfdSessions, type BirdBfdSession } from "./birdBfdRouter.js";
import { RUN_DIR_PREFIX } from "./naming.js";
import { byFrom, neighborFamilies, type RouterDaemon, type RouterPath, type RouterSpec } from "./routerDaemon.js";
import { inNs, run } from "./run.js";

const protocolName = (index: number): string => `n${index}`;

export function birdConfig(spec: RouterSpec, logFile: string): string {
  const keepalive = Math.max(1, Math.floor(spec.holdTimeS / 3));
  return [
    `router id ${spec.routerId};`,
    `log "${logFile}" all;`,
    "protocol device { }",
    "protocol direct { ipv4; ipv6; }",
    ...(spec.bfd === undefined ? [] : [`protocol bfd { interface "*" { min rx interval ${spec.bfd.intervalMs} ms; min tx interval ${spec.bfd.intervalMs} ms; multiplier ${spec.bfd.multiplier}; }; }`]),
    ...spec.neighbors.flatMap((n, i) => [
      `protocol bgp ${protocolName(i)} {`,
      `  local as ${spec.asn};`,
      `  neighbor ${n.address} as ${n.asn};`,
      `  hold time ${spec.holdTimeS}; keepalive time ${keepalive};`,
      "  connect retry time 1; connect delay time 1; error wait time 1, 2;",
      ...(n.password === undefined ? [] : [`  password "${n.password}";`]),
      ...(spec.bfd === undefined ? [] : ["  bfd on;"]),
      ...neighborFamilies(n).map((f) => `  ${f} { import all; export none; };`),
      "}",
    ]),
    "",
  ].join("\n");
}

/** Paths of `show route <prefix> all`: each entry's protocol (`[n0 ...`) and its BGP.next_hop (global first). */
export function parseBirdRoutes(text: string, neighborOf: (protocol: string) => string | undefined): RouterPath[] {
  const paths: RouterPath[] = [];
  let from: string | undefined;
  for (const line of text.split("\n")) {
    const entry = /\sunicast \[(\S+)/.exec(line);
    if (entry) from = neighborOf(entry[1] ?? "");
    const hop = /^\s+BGP\.next_hop:\s+(\S+)/.exec(line);
    if (hop && from !== undefined) {
      paths.push({ from, nextHop: hop[1] ?? "" });
      from = undefined;
    }
  }
  return paths.sort(byFrom);
}

export class BirdDaemon implements RouterDaemon {
  readonly kind = "bird" as const;
  private readonly dir: string;
  private neighbors: string[] = [];

  constructor(readonly ns: string, labPrefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), `${RUN_DIR_PREFIX}${labPrefix}bird-`));
  }

  async start(spec: RouterSpec): Promise<void> {
    this.neighbors = spec.neighbors.map((n) => n.address);
    const conf = join(this.dir, "bird.conf");
    writeFileSync(conf, birdConfig(spec, join(this.dir, "bird.log")));
    await run(inNs(this.ns, ["bird", "-c", conf, "-s", this.socket, "-P", join(this.dir, "bird.pid")]));
  }

  private get socket(): string {
    return join(this.dir, "bird.ctl");
  }

  /** A birdc command's text output. */
  async birdc(...command: string[]): Promise<string> {
    return (await run(inNs(this.ns, ["birdc", "-s", this.socket, ...command]))).stdout;
  }

  private protocolOf(neighbor: string): string {
    const i = this.neighbors.indexOf(neighbor);
    if (i < 0) throw new Error(`bird: ${neighbor} is not a configured neighbor`);
    return protocolName(i);
  }

  async established(neighbor: string): Promise<boolean> {
    return /\bEstablished\b/.test(await this.birdc("show", "protocols", this.protocolOf(neighbor)));
  }

  async paths(prefix: string): Promise<RouterPath[]> {
    // birdc exits 1 with "Network not found" when the table has no route for the prefix.
    const r = await run(inNs(this.ns, ["birdc", "-s", this.socket, "show", "route", prefix, "all"]), { allowFail: true });
    if (r.code !== 0 && !r.stdout.includes("Network not found")) throw new Error(`birdc show route ${prefix}: ${r.stdout}${r.stderr}`);
    return parseBirdRoutes(r.stdout, (p) => this.neighbors[Number(p.slice(1))]);
  }

  /** `show bfd sessions` (with `bfd` in the spec), by neighbor address. */
  async bfdSessions(): Promise<Map<string, BirdBfdSession>> {
    return parseBirdBfdSessions(await this.birdc("show", "bfd", "sessions"));
  }

  async lastShutdownMessage(neighbor: string): Promise<string | undefined> {
    const text = await this.birdc("show", "protocols", "all", this.protocolOf(neighbor));
    return /^\s+Message:\s+(.*)$/m.exec(text)?.[1];
  }

  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
