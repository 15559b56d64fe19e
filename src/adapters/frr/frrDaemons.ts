// FRR's zebra and bgpd (and bfdd when asked) beside the speaker, in its network namespace, as MetalLB's FRR mode
// runs them: a configuration and vty socket directory of their own (so several speakers on one host never share
// one), bgpd not listening (sessions are opened by us only, as the native speaker does), configuration applied with
// `vtysh -f` and state read with `vtysh -c '... json'`.
import { execFile } from "node:child_process";
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FrrVty } from "./frrVty.js";

const FRR_DIR = "/usr/lib/frr";
/** Lines of bfdd's configuration (the `bfd` node, its profiles and their fields); every other line is bgpd's. */
const BFDD_LINE = /^(no )?(bfd$|profile |receive-interval |transmit-interval |detect-multiplier |minimum-ttl |echo|passive-mode)/;
/** Lines that belong to the configuration node itself. */
const TOP_LEVEL = /^(no )?(router bgp |route-map |bfd$|ip prefix-list |ipv6 prefix-list |bgp route-map delay-timer)/;
/** Lines that enter a nested node. */
const ENTERS_NODE = /^(router bgp |route-map |bfd$|address-family |profile )/;

/** A BGPPeer's MD5 password never goes into an error or a log line: `neighbor X password <hidden>`. */
export const withoutPasswords = (text: string): string => text.replace(/(\bpassword\s+)\S+/g, "$1<hidden>");

export class FrrCommandError extends Error {
  readonly code = "FRR_COMMAND_FAILED";
  readonly output: string;
  constructor(readonly what: string, output: string) {
    super(`FRR: ${what} failed: ${withoutPasswords(output.trim().slice(0, 2_000))}`);
    this.output = withoutPasswords(output);
    this.name = "FrrCommandError";
  }
}

type Output = { stdout: string; stderr: string; code: number };

function exec(argv: readonly string[], timeoutMs = 30_000): Promise<Output> {
  const [file = "", ...args] = argv;
  return new Promise((resolve) => {
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1;
      resolve({ stdout, stderr: err !== null && stderr === "" ? err.message : stderr, code });
    });
  });
}

export type FrrDaemonsOptions = { node: string; frrDir?: string };

export class FrrDaemons {
  readonly dir: string;
  private readonly daemons: string[] = [];
  private applied = 0;
  private readonly vtys = new Map<string, FrrVty>();

  constructor(o: FrrDaemonsOptions) {
    this.dir = mkdtempSync(join(o.frrDir ?? tmpdir(), `vipmesh-frr-${o.node}-`));
  }

  /** zebra, then bgpd (bfdd too with `bfd`), each with an empty configuration; resolves once vtysh reaches them. */
  async start(o: { bfd: boolean }): Promise<void> {
    const owner = frrOwner();
    const names = ["zebra", "bgpd", ...(o.bfd ? ["bfdd"] : [])];
    for (const f of ["", ...names.map((n) => `${n}.conf`)]) {
      if (f !== "") writeFileSync(join(this.dir, f), "");
      chownSync(join(this.dir, f), owner.uid, owner.gid);
    }
    for (const name of names) await this.startDaemon(name);
  }

  /** A daemon started later (bfdd once a BGPPeer names a BFDProfile). */
  async ensure(name: "bfdd"): Promise<void> {
    if (this.daemons.includes(name)) return;
    const owner = frrOwner();
    writeFileSync(join(this.dir, `${name}.conf`), "");
    chownSync(join(this.dir, `${name}.conf`), owner.uid, owner.gid);
    await this.startDaemon(name);
  }

  private async startDaemon(name: string): Promise<void> {
    const common = ["-d", "-f", join(this.dir, `${name}.conf`), "-i", join(this.dir, `${name}.pid`), "--vty_socket", this.dir, "-z", join(this.dir, "zserv.api")];
    const extra = name === "bgpd" ? ["-p", "0"] : name === "bfdd" ? ["--bfdctl", join(this.dir, "bfdd.sock")] : [];
    const r = await exec([join(FRR_DIR, name), ...common, ...extra]);
    if (r.code !== 0) throw new FrrCommandError(`starting ${name}`, r.stderr || r.stdout);
    this.daemons.push(name);
  }

  /**
   * Configuration commands, over the daemons' vty sockets (vtysh -f when a socket cannot be used); rejects with
   * FRR's own words when a line is refused, and resolves with what FRR remarked on lines it took ("% Echo mode works
   * correctly for IPv4, ...").
   */
  async apply(commands: readonly string[]): Promise<string[]> {
    if (commands.length === 0) return [];
    try {
      return await this.applyOverVty(commands);
    } catch (err) {
      if (err instanceof FrrCommandError) throw err;
      this.closeVtys(); // the connection failed: the next apply connects again
      return this.applyWithVtysh(commands);
    }
  }

  /**
   * Each line to the daemon it belongs to, in configuration mode. FRR's config-file reading takes a line it cannot
   * place to the enclosing node; on a vty that is done here: a top-level line first leaves any nested node.
   */
  private async applyOverVty(commands: readonly string[]): Promise<string[]> {
    const remarks: string[] = [];
    const sessions = new Map<string, { vty: FrrVty; nested: boolean }>();
    const session = async (daemon: string): Promise<{ vty: FrrVty; nested: boolean }> => {
      let s = sessions.get(daemon);
      if (s === undefined) {
        s = { vty: await this.vty(daemon), nested: false };
        await expectOk(s.vty, "configure terminal");
        sessions.set(daemon, s);
      }
      return s;
    };
    try {
      for (const line of commands) {
        const s = await session(BFDD_LINE.test(line) ? "bfdd" : "bgpd");
        if (TOP_LEVEL.test(line) && s.nested) {
          await expectOk(s.vty, "end");
          await expectOk(s.vty, "configure terminal");
          s.nested = false;
        }
        const r = await s.vty.command(line);
        if (r.status !== 0) throw new FrrCommandError("applying configuration", `${line}: ${r.output.trim() || `status ${r.status}`}`);
        if (r.output.trim() !== "") remarks.push(withoutPasswords(r.output.trim()));
        if (ENTERS_NODE.test(line)) s.nested = true;
      }
    } finally {
      for (const s of sessions.values()) if (s.vty.usable) await s.vty.command("end").catch(() => undefined);
    }
    return remarks;
  }

  private async vty(daemon: string): Promise<FrrVty> {
    const open = this.vtys.get(daemon);
    if (open?.usable) return open;
    const vty = await FrrVty.connect(this.dir, daemon);
    await vty.command("enable");
    this.vtys.set(daemon, vty);
    return vty;
  }

  private closeVtys(): void {
    for (const v of this.vtys.values()) v.close();
    this.vtys.clear();
  }

  /** The same commands as a file for `vtysh -f`. */
  private async applyWithVtysh(commands: readonly string[]): Promise<string[]> {
    const file = join(this.dir, `apply-${++this.applied % 2}.conf`);
    writeFileSync(file, `${commands.join("\n")}\n`);
    const r = await exec(["vtysh", "--vty_socket", this.dir, "-f", file]);
    const refused = `${r.stdout}\n${r.stderr}`.split("\n").filter((l) => l.startsWith("%") || /line \d+:/.test(l));
    if (r.code !== 0) throw new FrrCommandError("applying configuration", refused.join("\n") || r.stderr || r.stdout);
    return refused.map(withoutPasswords);
  }

  /** bgpd commands outside configuration mode (`clear bgp ... soft out`). */
  async exec(commands: readonly string[]): Promise<void> {
    if (commands.length === 0) return;
    const vty = await this.vty("bgpd").catch(() => undefined);
    if (vty !== undefined) {
      for (const c of commands) {
        const r = await vty.command(c);
        if (r.status !== 0) throw new FrrCommandError(c, r.output);
      }
      return;
    }
    const r = await exec(["vtysh", "--vty_socket", this.dir, ...commands.flatMap((c) => ["-c", c])]);
    if (r.code !== 0) throw new FrrCommandError(commands.join("; "), r.stderr || r.stdout);
  }

  async json<T>(command: string): Promise<T> {
    const r = await exec(["vtysh", "--vty_socket", this.dir, "-c", command]);
    if (r.code !== 0) throw new FrrCommandError(command, r.stderr || r.stdout);
    return JSON.parse(r.stdout.trim() === "" ? "{}" : r.stdout) as T;
  }

  /**
   * Stops every daemon (SIGTERM; SIGKILL with `kill`, so bgpd sends nothing more and a graceful-restart helper keeps
   * our routes as stale) and removes the directory.
   */
  async stop(o: { kill?: boolean } = {}): Promise<void> {
    this.closeVtys();
    const pids = [...this.daemons].reverse().flatMap((name) => {
      try {
        return [Number(readFileSync(join(this.dir, `${name}.pid`), "utf8").trim())];
      } catch {
        return [];
      }
    });
    for (const pid of pids) signal(pid, o.kill ? "SIGKILL" : "SIGTERM");
    for (let i = 0; i < 50 && pids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
    for (const pid of pids.filter(alive)) signal(pid, "SIGKILL");
    this.daemons.length = 0;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function expectOk(vty: FrrVty, line: string): Promise<void> {
  const r = await vty.command(line);
  if (r.status !== 0) throw new FrrCommandError(line, r.output);
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function frrOwner(): { uid: number; gid: number } {
  const line = readFileSync("/etc/passwd", "utf8").split("\n").find((l) => l.startsWith("frr:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) throw new FrrCommandError("finding the frr user", "no frr user in /etc/passwd (is FRR installed?)");
  return { uid: Number(uid), gid: Number(gid) };
}
