// GoBGP as a lab BGP router: gobgpd with a TOML configuration, its gRPC API on the namespace's own loopback, read
// back with `gobgp -j`. GoBGP reports a received shutdown communication only in its log (JSON lines), so that is
// where lastShutdownMessage looks.
import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUN_DIR_PREFIX } from "./naming.js";
import { byFrom, neighborFamilies, type RouterDaemon, type RouterPath, type RouterSpec } from "./routerDaemon.js";
import { inNs, run, waitFor } from "./run.js";

const API = ["-u", "127.0.0.1", "-p", "50051"];
const ESTABLISHED = 6; // gobgp's session_state numbering

export function gobgpConfig(spec: RouterSpec): string {
  const keepalive = Math.max(1, Math.floor(spec.holdTimeS / 3));
  const lines = ["[global.config]", `  as = ${spec.asn}`, `  router-id = "${spec.routerId}"`, "  port = 179"];
  for (const n of spec.neighbors) {
    lines.push(
      "[[neighbors]]",
      "  [neighbors.config]",
      `    neighbor-address = "${n.address}"`,
      `    peer-as = ${n.asn}`,
      ...(n.password === undefined ? [] : [`    auth-password = "${n.password}"`]),
      "  [neighbors.timers.config]",
      `    hold-time = ${spec.holdTimeS}`,
      `    keepalive-interval = ${keepalive}`,
      "    connect-retry = 1",
      ...neighborFamilies(n).flatMap((f) => ["  [[neighbors.afi-safis]]", "    [neighbors.afi-safis.config]", `      afi-safi-name = "${f}-unicast"`]),
    );
  }
  return `${lines.join("\n")}\n`;
}

type GobgpAttr = { type: number; nexthop?: string };
type GobgpPath = { attrs?: GobgpAttr[]; "neighbor-ip"?: string };

/** Paths of `gobgp -j global rib -a <family> <prefix>`: sender and next hop (NEXT_HOP, else MP_REACH_NLRI's). */
export function parseGobgpRib(json: string, prefix: string): RouterPath[] {
  const byPrefix = JSON.parse(json.trim() === "" ? "{}" : json) as Record<string, GobgpPath[]>;
  return (byPrefix[prefix] ?? [])
    .map((p) => ({ from: p["neighbor-ip"] ?? "", nextHop: p.attrs?.find((a) => a.type === 3 || a.type === 14)?.nexthop ?? "" }))
    .sort(byFrom);
}

/** The Communicated-Reason of the last "received notification" from `neighbor` in gobgpd's JSON log. */
export function lastGobgpShutdownMessage(log: string, neighbor: string): string | undefined {
  let found: string | undefined;
  for (const line of log.split("\n")) {
    if (!line.includes("received notification")) continue;
    const entry = JSON.parse(line) as { Key?: string; "Communicated-Reason"?: string };
    if (entry.Key === neighbor) found = entry["Communicated-Reason"];
  }
  return found;
}

export class GobgpDaemon implements RouterDaemon {
  readonly kind = "gobgp" as const;
  private readonly dir: string;

  constructor(readonly ns: string, labPrefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), `${RUN_DIR_PREFIX}${labPrefix}gobgp-`));
  }

  private get logFile(): string {
    return join(this.dir, "gobgpd.log");
  }

  async start(spec: RouterSpec): Promise<void> {
    const conf = join(this.dir, "gobgpd.toml");
    writeFileSync(conf, gobgpConfig(spec));
    const out = openSync(this.logFile, "a");
    // Not tracked by pid: it runs inside the lab's namespace, and deleting the namespace kills it.
    const child = spawn("ip", inNs(this.ns, ["gobgpd", "-f", conf, "-l", "info", "--api-hosts", "127.0.0.1:50051", "--pprof-disable"]).slice(1), {
      stdio: ["ignore", out, out],
      detached: true,
    });
    child.unref();
    closeSync(out);
    await waitFor("gobgpd API", async () => ((await run(inNs(this.ns, ["gobgp", ...API, "global"]), { allowFail: true })).code === 0 ? true : undefined), 10_000, 100);
  }

  /** A gobgp command's JSON output. */
  async gobgp<T = unknown>(...args: string[]): Promise<T> {
    const out = (await run(inNs(this.ns, ["gobgp", ...API, "-j", ...args]))).stdout;
    return JSON.parse(out.trim() === "" ? "null" : out) as T;
  }

  async established(neighbor: string): Promise<boolean> {
    const n = await this.gobgp<{ state?: { session_state?: number } }>("neighbor", neighbor);
    return n?.state?.session_state === ESTABLISHED;
  }

  async paths(prefix: string): Promise<RouterPath[]> {
    const family = prefix.includes(":") ? "ipv6" : "ipv4";
    const out = await run(inNs(this.ns, ["gobgp", ...API, "-j", "global", "rib", "-a", family, prefix]));
    return parseGobgpRib(out.stdout, prefix);
  }

  async lastShutdownMessage(neighbor: string): Promise<string | undefined> {
    return lastGobgpShutdownMessage(readFileSync(this.logFile, "utf8"), neighbor);
  }

  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
