// zebra + bgpd of one FRR instance in a lab namespace: a configuration directory owned by the frr user (outside
// the 0700 run dir, with the run's prefix so the stale-run sweep finds it), vtysh with JSON output, cleanup.
import { execFileSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RUN_DIR_PREFIX } from "./naming.js";
import { inNs, run } from "./run.js";

const FRR = "/usr/lib/frr";

export class FrrDaemons {
  readonly dir: string;

  constructor(readonly ns: string, labPrefix: string) {
    this.dir = mkdtempSync(join(tmpdir(), `${RUN_DIR_PREFIX}${labPrefix}frr-`));
  }

  async start(bgpdConf: string): Promise<void> {
    writeFileSync(join(this.dir, "bgpd.conf"), bgpdConf);
    writeFileSync(join(this.dir, "zebra.conf"), "");
    const uid = Number(execFileSync("id", ["-u", "frr"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "frr"], { encoding: "utf8" }).trim());
    for (const f of ["", "bgpd.conf", "zebra.conf"]) chownSync(join(this.dir, f), uid, gid);
    const common = ["--vty_socket", this.dir, "-z", join(this.dir, "zserv.api")];
    await run(inNs(this.ns, [`${FRR}/zebra`, "-d", "-f", join(this.dir, "zebra.conf"), "-i", join(this.dir, "zebra.pid"), ...common]));
    await run(inNs(this.ns, [`${FRR}/bgpd`, "-d", "-f", join(this.dir, "bgpd.conf"), "-i", join(this.dir, "bgpd.pid"), ...common]));
  }

  /** bfdd beside zebra (after start()); its control socket in this directory, so parallel routers never share one. */
  async startBfdd(bfddConf: string): Promise<void> {
    writeFileSync(join(this.dir, "bfdd.conf"), bfddConf);
    const uid = Number(execFileSync("id", ["-u", "frr"], { encoding: "utf8" }).trim());
    chownSync(join(this.dir, "bfdd.conf"), uid, Number(execFileSync("id", ["-g", "frr"], { encoding: "utf8" }).trim()));
    const args = ["-d", "-f", join(this.dir, "bfdd.conf"), "-i", join(this.dir, "bfdd.pid"), "--bfdctl", join(this.dir, "bfdd.sock")];
    await run(inNs(this.ns, [`${FRR}/bfdd`, ...args, "--vty_socket", this.dir, "-z", join(this.dir, "zserv.api")]));
  }

  /** Configuration commands, in order, in one vtysh session (`configure terminal` first). */
  async configure(commands: readonly string[]): Promise<void> {
    await run(inNs(this.ns, ["vtysh", "--vty_socket", this.dir, "-c", "configure terminal", ...commands.flatMap((c) => ["-c", c])]));
  }

  async vtysh<T = Record<string, unknown>>(command: string): Promise<T> {
    const r = await run(inNs(this.ns, ["vtysh", "--vty_socket", this.dir, "-c", command]));
    return JSON.parse(r.stdout.trim() === "" ? "{}" : r.stdout) as T;
  }

  /** The daemons die with their namespace; this removes the directory. */
  removeDir(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
