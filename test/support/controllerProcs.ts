import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { jetstream } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { publishEvent } from "../../src/adapters/nats/publish.js";
import { encodeEvent } from "../../src/events/codec.js";
import { subjects } from "../../src/events/subjects.js";
import type { InterfaceFact } from "../../src/events/types.js";
import { vipmeshCliPath } from "../../src/lab/paths.js";
import type { NatsServer } from "../../src/testing/localNatsServer.js";
import { trackProc as track, type AllocatorProc } from "./allocatorProcs.js";

// `vipmesh controller` replicas as child processes of the compiled CLI, with their JSON log lines.

export function startController(nats: Pick<NatsServer, "url" | "cliArgs">, kubeconfig: string, id: string): AllocatorProc {
  return startControllerWith(nats, kubeconfig, id, []);
}

/** More arguments after the defaults (e.g. `--dead-after`); the same as startController otherwise. */
/** Connects as the server's `controller` user. */
export function startControllerWith(nats: Pick<NatsServer, "url" | "cliArgs">, kubeconfig: string, id: string, extra: string[]): AllocatorProc {
  const cli = vipmeshCliPath();
  if (!existsSync(cli)) throw new Error(`${cli} not found: run npm run build first`);
  return track(id, spawn(process.execPath, [cli, "controller", "--nats", nats.url, ...nats.cliArgs("controller"), "--kubeconfig", kubeconfig, "--id", id, ...extra], { stdio: ["ignore", "pipe", "pipe"] }));
}

/** A kubeconfig beside the admin's that acts as a service account of metallb-system (impersonation). */
export function serviceAccountKubeconfig(adminKubeconfig: string, dir: string, account: string): string {
  const file = join(dir, `${account}.kubeconfig`);
  writeFileSync(file, readFileSync(adminKubeconfig, "utf8").replace("  user:\n", `  user:\n    as: system:serviceaccount:metallb-system:${account}\n`));
  return file;
}

/**
 * What speakers publish, by hand, for tests without speakers: heartbeats every `everyMs` with each node's current
 * interfaces (`set` changes them, `stop` silences a node, as a removed node would be), and VIP claims.
 */
export class FakeSpeakers {
  private readonly nodes = new Map<string, { beat: number; interfaces: InterfaceFact[] }>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly nc: NatsConnection, everyMs = 50) {
    this.timer = setInterval(() => void this.beatAll(), everyMs);
  }

  set(node: string, interfaces: InterfaceFact[]): void {
    this.nodes.set(node, { beat: this.nodes.get(node)?.beat ?? 0, interfaces });
  }

  silence(node: string): void {
    this.nodes.delete(node);
  }

  claim(vip: string, node: string, term: number): Promise<unknown> {
    return publishEvent(jetstream(this.nc), subjects.vipClaim(vip, node), {
      type: "VipClaimed",
      data: {
        vip, node, incarnation: 1, term, reason: "unowned",
        evidence: { previousOwner: null, previousOwnerStatus: null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: 0, eligibleNodes: 1 },
      },
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async beatAll(): Promise<void> {
    const js = jetstream(this.nc);
    for (const [node, n] of this.nodes) {
      n.beat++;
      const data = { node, incarnation: 1, beat: n.beat, ready: true, version: "test", health: 0, interfaces: n.interfaces };
      await js.publish(subjects.heartbeat(node), encodeEvent({ type: "NodeHeartbeatRecorded", data })).catch(() => undefined);
    }
  }
}

export const iface = (name: string, addresses: string[]): InterfaceFact => ({ name, mac: "02:00:00:00:00:01", up: true, answerable: true, addresses, routes: [] });
