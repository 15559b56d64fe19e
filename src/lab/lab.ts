// The Lab: one run's namespaces (switch, nats, client, node1..N), its processes and its temp dir.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { exposeVipOnNode, startNodeBackend } from "./backend.js";
import { startSwitchCapture } from "./capture.js";
import type { ArpCapture, NeighborAnswer } from "./capture.js";
import { registerLab, unregisterLab } from "./cleanup.js";
import type { Destroyable } from "./cleanup.js";
import { forwardToLab } from "./forward.js";
import type { HostForward } from "./forward.js";
import { RUN_DIR_PREFIX, deleteNamespace, listNamespaces, newRunPrefix, nsName, sweepStaleNamespaces } from "./naming.js";
import { startNatsServer } from "./nats.js";
import type { NatsServer } from "./nats.js";
import { labScript } from "./paths.js";
import { startClientProber } from "./prober.js";
import type { Prober, ProberOptions } from "./prober.js";
import { ProcessTracker } from "./procs.js";
import { inNs, run, runSync } from "./run.js";
import { attachHost, buildSwitch, labRoles, nodeRole, roleIp, roleIp6, roleMac } from "./topology.js";
import { silentLog } from "./types.js";
import type { ExecOptions, ExecResult, LabContext, LabLogger, LabRole, ProcHandle, SpawnOptions } from "./types.js";
import type { NatsClientSecurity } from "../adapters/nats/security.js";
import { DEFAULT_NATS_USERS, makeNatsSecurityKit, type NatsSecurityKit } from "../testing/natsSecurityKit.js";
import { makeCalloutKeys, type CalloutKeyFiles } from "../testing/calloutKeys.js";

export interface LabOptions {
  nodes: number;
  log?: LabLogger;
  /** Keep the run dir (logs, pcaps, nats store) after destroy; default false. */
  keepRunDir?: boolean;
  /** Delete namespaces left by dead runs before creating this one; default true. */
  sweep?: boolean;
  /**
   * How speakers log in to the lab's NATS: `static` (default) a password user `speaker-<node>` each; `callout` no
   * speaker user at all, every speaker logs in with a ServiceAccount token answered by a controller's auth callout
   * (the chart's default, `nats.auth.mode: callout`; the controller gets the seeds with `calloutArgs()`).
   */
  speakerLogin?: SpeakerLogin;
}

export type SpeakerLogin = "static" | "callout";

export class Lab implements LabContext, Destroyable {
  readonly roles: readonly LabRole[];
  private readonly tracker: ProcessTracker;
  private readonly created: string[] = [];
  private readonly dnat = new Set<string>();
  private readonly forwards: HostForward[] = [];
  private destroying: Promise<void> | undefined;
  private nats: NatsServer | undefined;
  private kit: NatsSecurityKit | undefined;
  private calloutKeys: CalloutKeyFiles | undefined;
  private capture: ArpCapture | undefined;

  constructor(
    readonly nodes: number,
    readonly prefix: string,
    readonly runDir: string,
    readonly log: LabLogger,
    private readonly keepRunDir: boolean,
    readonly speakerLogin: SpeakerLogin = "static",
  ) {
    this.roles = labRoles(nodes);
    this.tracker = new ProcessTracker(runDir, log);
  }

  /** Creates and wires all namespaces. Called once by createLab. */
  async build(): Promise<void> {
    for (const role of this.roles) {
      await run(["ip", "netns", "add", this.ns(role)]);
      this.created.push(this.ns(role));
    }
    const sw = this.ns("sw");
    await buildSwitch(sw);
    for (const role of this.roles) if (role !== "sw") await attachHost(sw, this.ns(role), role);
    this.log.info({ prefix: this.prefix, nodes: this.nodes, runDir: this.runDir }, "lab: created");
  }

  get destroyed(): boolean {
    return this.destroying !== undefined;
  }

  // --- naming and addressing ---
  ns(role: LabRole): string {
    return nsName(this.prefix, role);
  }
  ip(role: LabRole): string {
    return roleIp(role);
  }
  ip6(role: LabRole): string {
    return roleIp6(role);
  }
  mac(role: LabRole): string {
    return roleMac(role);
  }
  nodeIp(k: number): string {
    return roleIp(nodeRole(k));
  }
  nodeIp6(k: number): string {
    return roleIp6(nodeRole(k));
  }
  nodeMac(k: number): string {
    return roleMac(nodeRole(k));
  }

  // --- commands and processes ---
  exec(role: LabRole, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult & { code: number | null }> {
    this.assertRole(role);
    return run(inNs(this.ns(role), argv), opts);
  }

  spawn(role: LabRole, argv: readonly string[], opts: SpawnOptions = {}): ProcHandle {
    this.assertRole(role);
    if (this.destroying) throw new Error("lab: spawn after destroy");
    return this.tracker.spawn(role, this.ns(role), argv, opts);
  }

  async tcpCheck(role: LabRole, host: string, port: number, timeoutMs = 2000): Promise<boolean> {
    const argv = [process.execPath, labScript("tcp-pipe.mjs"), "--check", host, String(port), String(timeoutMs)];
    const r = await this.exec(role, argv, { allowFail: true, timeoutMs: timeoutMs + 5000 });
    return r.code === 0;
  }

  /** Processes still running. */
  get processes(): ProcHandle[] {
    return this.tracker.running;
  }

  // --- services ---
  get natsKit(): NatsSecurityKit {
    const callout = this.speakerLogin === "callout";
    if (callout) this.calloutKeys ??= makeCalloutKeys(this.runDir);
    this.kit ??= makeNatsSecurityKit(join(this.runDir, "nats-pki"), {
      hosts: [roleIp("nats")],
      users: [
        ...DEFAULT_NATS_USERS,
        // With the auth callout no speaker has a user: each logs in with its token, as its own node only.
        ...(callout ? [] : Array.from({ length: this.nodes }, (_, i) => `speaker-${nodeRole(i + 1)}`)),
        // Each allocator replica its own identity (design.md, rule 1); bare `allocator`/`controller` stay for others.
        ...Array.from({ length: 4 }, (_, i) => `allocator-allocator${i}`),
      ],
      ...(this.calloutKeys ? { callout: this.calloutKeys.server } : {}),
    });
    return this.kit;
  }
  /** The controller's auth callout flags (the seeds of the keys the lab's NATS trusts); only with speakerLogin callout. */
  calloutArgs(): string[] {
    void this.natsKit;
    if (!this.calloutKeys) throw new Error("lab: calloutArgs() needs speakerLogin: callout");
    return ["--nats-callout-issuer-seed-file", this.calloutKeys.issuerSeedFile, "--nats-callout-xkey-seed-file", this.calloutKeys.xkeySeedFile];
  }
  /** vipmesh flags that log a speaker in with the token in `tokenFile` (auth callout), with the lab's TLS. */
  natsTokenArgs(tokenFile: string): string[] {
    return this.natsKit.tokenCliArgs(tokenFile);
  }
  /** vipmesh flags that connect to the lab's NATS as `user` (speaker-node1, allocator, controller, reader, admin). */
  natsArgs(user: string): string[] {
    return this.natsKit.cliArgs(user);
  }
  /** Connection options for a process of the root namespace (tests, benchmarks, replay) as `user`. */
  natsClient(user = "reader"): NatsClientSecurity {
    return this.natsKit.client(user);
  }
  /** Starts nats-server (JetStream) in `nats` on 198.18.0.2:4222 and returns its URL; idempotent. */
  async startNats(): Promise<string> {
    if (!this.nats || !this.nats.proc.running) this.nats = await startNatsServer(this);
    return this.nats.url;
  }
  get natsUrl(): string | undefined {
    return this.nats?.url;
  }
  get natsProc(): ProcHandle | undefined {
    return this.nats?.proc;
  }
  /** A loopback URL (nats://127.0.0.1:port) reaching the lab's NATS from the root namespace. */
  async natsHostUrl(): Promise<string> {
    await this.startNats();
    const f = await this.forwardToHost("nats", roleIp("nats"), 4222);
    return `nats://${f.host}:${f.port}`;
  }
  /** Forwards 127.0.0.1:<ephemeral> in the root namespace to host:port as seen from inside `role`. */
  async forwardToHost(role: LabRole, host: string, port: number): Promise<HostForward> {
    this.assertRole(role);
    const f = await forwardToLab(this.ns(role), host, port, this.log);
    this.forwards.push(f);
    return f;
  }

  /** HTTP backend in node k on nodeIP:8080 (and its IPv6 address) answering "nodeK\n". */
  startBackend(k: number): Promise<ProcHandle> {
    return startNodeBackend(this, k);
  }
  async startBackends(): Promise<ProcHandle[]> {
    return Promise.all(Array.from({ length: this.nodes }, (_, i) => this.startBackend(i + 1)));
  }
  /** nftables DNAT in node k: tcp to vip:port -> nodeIP:8080 (what kube-proxy would install). */
  exposeVip(k: number, vip: string, port = 80): Promise<void> {
    return exposeVipOnNode(this, this.dnat, k, vip, port);
  }
  /** The DNAT on every node, since any node may become the VIP's owner. */
  async exposeVipOnAllNodes(vip: string, port = 80): Promise<void> {
    for (let k = 1; k <= this.nodes; k++) await this.exposeVip(k, vip, port);
  }

  /** Prober in `client`: one fresh HTTP request per interval, results collected on the returned Prober. */
  startProber(opts: ProberOptions): Prober {
    return startClientProber(this, opts);
  }

  /** tcpdump of ARP/NDP on the switch's br0, pcap in the run dir. */
  async startCapture(name = "arp"): Promise<ArpCapture> {
    const c = await startSwitchCapture(this, name);
    this.capture ??= c;
    return c;
  }
  /** Answers per VIP from the first capture started (empty when none). */
  arpAnswersByVip(vips?: readonly string[]): Map<string, NeighborAnswer[]> {
    return this.capture?.answersByVip(vips) ?? new Map();
  }

  /** Pulls (false) or plugs back (true) the cable of `role`: its port on the switch goes down/up. */
  async setLink(role: LabRole, up: boolean): Promise<void> {
    this.assertRole(role);
    if (role === "sw") throw new Error("lab: the switch has no cable");
    await run(["ip", "-n", this.ns("sw"), "link", "set", `v-${role}`, up ? "up" : "down"]);
  }

  // --- teardown ---
  /** Kills processes (SIGTERM then SIGKILL), deletes the namespaces and the run dir. Idempotent. */
  destroy(): Promise<void> {
    this.destroying ??= this.teardown();
    return this.destroying;
  }

  private async teardown(): Promise<void> {
    await Promise.allSettled(this.forwards.map((f) => f.close()));
    await this.tracker.stopAll(2000);
    const mine = new Set(this.created);
    for (const n of await listNamespaces().catch(() => [])) if (n.startsWith(this.prefix)) mine.add(n);
    for (const n of [...mine].reverse()) await deleteNamespace(n);
    if (!this.keepRunDir) rmSync(this.runDir, { recursive: true, force: true });
    unregisterLab(this);
    this.log.info({ prefix: this.prefix }, "lab: destroyed");
  }

  destroySync(): void {
    for (const f of this.forwards) f.closeSync();
    this.tracker.killAllSync();
    for (const n of [...this.created].reverse()) {
      for (const p of runSync(["ip", "netns", "pids", n]).stdout.split(/\s+/).filter(Boolean)) {
        try {
          process.kill(Number(p), "SIGKILL");
        } catch {
          /* gone */
        }
      }
      runSync(["ip", "netns", "del", n]);
    }
    if (!this.keepRunDir) rmSync(this.runDir, { recursive: true, force: true });
    this.destroying ??= Promise.resolve();
    unregisterLab(this);
  }

  private assertRole(role: LabRole): void {
    if (!this.roles.includes(role)) throw new Error(`lab: no role ${role} in this lab (${this.roles.join(", ")})`);
  }
}

/** Why the lab cannot run here (not root, missing tools), or undefined when it can. */
export function labUnavailableReason(): string | undefined {
  if (process.platform !== "linux") return "the lab needs Linux network namespaces";
  if (process.getuid?.() !== 0) return "the lab needs root (network namespaces, nftables, tcpdump): run as root";
  for (const tool of ["ip", "nft", "tcpdump"]) {
    if (runSync(["sh", "-c", `command -v ${tool}`]).code !== 0) return `the lab needs ${tool}: run scripts/setup.sh`;
  }
  return undefined;
}

/** Creates a lab with `nodes` nodes; on any failure everything created so far is removed again. */
export async function createLab(opts: LabOptions): Promise<Lab> {
  const reason = labUnavailableReason();
  if (reason) throw new Error(`lab: ${reason}`);
  const log = opts.log ?? silentLog;
  if (opts.sweep !== false) await sweepStaleNamespaces(log);
  const prefix = newRunPrefix();
  const runDir = mkdtempSync(join(tmpdir(), `${RUN_DIR_PREFIX}${prefix}`));
  const lab = new Lab(opts.nodes, prefix, runDir, log, opts.keepRunDir ?? false, opts.speakerLogin ?? "static");
  registerLab(lab);
  try {
    await lab.build();
  } catch (err) {
    await lab.destroy();
    throw err;
  }
  return lab;
}
