import type { JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { MemberRecord, MembershipState } from "../../projections/membership.js";
import type { LogHost } from "../host/logHost.js";
import type { LogView } from "../host/logView.js";
import { AllocatorView } from "../allocator/view.js";
import { STREAMS } from "../../events/types.js";
import { recordEvent } from "../../kube/events.js";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { apiConfigurationOf, kubeCall, mergePatch } from "../../kube/apiClient.js";
import { isConflict } from "../../kube/http.js";
import { Informer, type KubeObject } from "../../kube/informer.js";
import { isLoadBalancer } from "../../kube/ingest/kubeSource.js";
import { wantedStatus, type ServiceStatusWanted, type StatusWanted } from "../../projections/kubeStatus/desired.js";
import { annotationPatch, statusPatch } from "../../projections/kubeStatus/servicePatches.js";
import { Rerunner } from "../rerunner.js";
import { StatusCleanup } from "../../adapters/kube/status/cleanup.js";
import type { KubeCredentials } from "../../kube/credentials.js";
import type { AgentMonitor } from "../health/monitor.js";
import { PartHealth } from "../health/partHealth.js";

// The status writer: the projection's results onto the API server (Service ingress, pool annotation, Announced
// condition, pool usage) and Events on transitions. Writes only at the head of the log, only the difference,
// each guarded by resourceVersion; Events have deterministic names. So several writers converge on the same
// objects without flapping and without duplicate events. A reactor on the controller's log host, whose view also
// holds HEARTBEATS' membership (which nodes run and their interfaces), for the NoInterfaceInSubnet reason and to delete
// status objects no speaker will (cleanup.ts).

export type StatusWriterOptions = {
  kc: KubeCredentials;
  /**
   * The process's log host, being opened; it follows HEARTBEATS too, with the speakers' failure-detector settings
   * (whether a node still runs is judged as they judge it).
   */
  host: Promise<LogHost | null>;
  namespace: string;
  lbClass: string | null;
  retryMs: number;
  log: Logger;
  /** The process's health (/readyz: connected, both streams read to their head). */
  monitor?: AgentMonitor;
};

/** The view's HEARTBEATS projection; `changed` tells whether anything the status depends on moved since last asked. */
class Members {
  private wasCaughtUp = false;
  private seen = new Map<string, { record: MemberRecord; key: string }>();

  constructor(private readonly view: LogView) {}

  get state(): MembershipState {
    return this.view.members;
  }

  get caughtUp(): boolean {
    return this.view.membersCaughtUp;
  }

  changed(): boolean {
    let changed = this.caughtUp !== this.wasCaughtUp;
    this.wasCaughtUp = this.caughtUp;
    for (const record of Object.values(this.state.nodes)) {
      const had = this.seen.get(record.node);
      if (had?.record === record) continue; // immer keeps a record nobody touched
      const key = JSON.stringify([record.status, record.ready, record.incarnation, record.interfaces]);
      this.seen.set(record.node, { record, key });
      if (had?.key !== key) changed = true;
    }
    return changed;
  }
}

class Reconciler {
  private readonly runner = new Rerunner(
    () => this.reconcile(),
    (err) => this.opts.log.warn({ err: err.message }, "status not written; retrying"),
  );
  writes = 0;
  conflicts = 0;

  constructor(
    private readonly view: AllocatorView,
    private readonly members: Members,
    private readonly services: Informer,
    private readonly pools: Informer,
    private readonly cleanup: StatusCleanup,
    private readonly jsm: JetStreamManager,
    private readonly opts: StatusWriterOptions,
  ) {}

  schedule(): void {
    this.runner.schedule();
  }

  /** At the head of the log, and the log has nothing newer than the view: a lagging writer never writes an older state. */
  private async current(): Promise<boolean> {
    if (!this.view.atHead || !this.services.synced || !this.pools.synced) return false;
    const last = (await this.jsm.streams.info(STREAMS.events)).state.last_seq;
    return last === this.view.log.seq;
  }

  private async reconcile(): Promise<void> {
    if (!(await this.current())) return;
    const members = this.members.caughtUp ? this.members.state : null;
    const wanted = wantedStatus(this.view.log, this.opts.lbClass, members);
    for (const svc of this.services.store.values()) {
      const w = isLoadBalancer(svc) ? wanted.services.get(`${svc.metadata.namespace ?? ""}/${svc.metadata.name}`) : undefined;
      if (w) await this.guarded(() => this.writeService(svc, w));
    }
    await this.writePools(wanted);
    if (members && this.cleanup.synced) {
      const services = new Set([...this.services.store.values()].filter(isLoadBalancer).map((s) => `${s.metadata.namespace ?? ""}/${s.metadata.name}`));
      await this.cleanup.sweep(services, this.view.log, members);
    }
  }

  private async guarded(write: () => Promise<void>): Promise<void> {
    try {
      await write();
    } catch (err) {
      if (!isConflict(err)) throw err;
      this.conflicts++;
      this.runner.rerun(); // the informer brings the newer object; look again
    }
  }

  private async writeService(svc: KubeObject, w: ServiceStatusWanted): Promise<void> {
    const { kc } = this.opts;
    const id = { name: svc.metadata.name, namespace: svc.metadata.namespace ?? "default" };
    const where = `${id.namespace}/${id.name}`;
    const status = statusPatch(svc, w, new Date().toISOString());
    if (status) {
      await kubeCall(`patch Service ${where} status`, () => new CoreV1Api(apiConfigurationOf(kc)).patchNamespacedServiceStatus({ ...id, body: status }, mergePatch));
      this.writes++;
      await this.transitionEvent(svc, w);
    }
    const annotation = annotationPatch(svc, w);
    if (annotation && !status) {
      await kubeCall(`patch Service ${where}`, () => new CoreV1Api(apiConfigurationOf(kc)).patchNamespacedService({ ...id, body: annotation }, mergePatch));
      this.writes++;
    }
  }

  private async transitionEvent(svc: KubeObject, w: ServiceStatusWanted): Promise<void> {
    const spec = w.notAnnounced
      ? { reason: w.notAnnounced.reason, message: w.notAnnounced.message, type: "Warning", transition: `not:${w.notAnnounced.reason}:${w.ips.join(",")}` } as const
      : { reason: "IPAllocated", message: `Assigned IP ${JSON.stringify(w.ips)} from pool ${w.pool ?? "?"}`, type: "Normal", transition: `ips:${w.ips.join(",")}` } as const;
    await recordEvent(this.opts.kc, svc, { ...spec, component: "vipmesh-controller" });
  }

  private async writePools(wanted: StatusWanted): Promise<void> {
    for (const p of wanted.pools) {
      const obj = this.pools.store.get(`${this.opts.namespace}/${p.pool}`);
      if (!obj) continue;
      const { pool, ...usage } = p;
      const current = (obj["status"] ?? {}) as Record<string, unknown>;
      if (Object.entries(usage).every(([k, v]) => current[k] === v)) continue;
      const where = { group: "metallb.io", version: "v1beta1", namespace: this.opts.namespace, plural: "ipaddresspools", name: pool };
      const body = { metadata: { resourceVersion: obj.metadata.resourceVersion }, status: usage };
      const api = new CustomObjectsApi(apiConfigurationOf(this.opts.kc));
      await this.guarded(async () => {
        await kubeCall(`patch IPAddressPool ${where.namespace}/${pool} status`, () => api.patchNamespacedCustomObjectStatus({ ...where, body }, mergePatch));
        this.writes++;
      });
    }
  }
}

export async function runStatusWriter(opts: StatusWriterOptions, signal: AbortSignal): Promise<void> {
  const { log } = opts;
  const health = new PartHealth(opts.monitor, "status", signal);
  const host = await opts.host;
  if (!host) return health.close();
  const view = new AllocatorView(host.view, { lbClass: opts.lbClass });
  let reconciler: Reconciler | null = null;
  const changed = (): void => reconciler?.schedule();
  const members = new Members(host.view);
  const services = new Informer({ kind: "Service", apiVersion: "v1", path: "/api/v1/services" }, opts.kc, changed, log);
  const poolPath = `/apis/metallb.io/v1beta1/namespaces/${opts.namespace}/ipaddresspools`;
  const pools = new Informer({ kind: "IPAddressPool", apiVersion: "metallb.io/v1beta1", path: poolPath }, opts.kc, changed, log);
  const cleanup = new StatusCleanup(opts.kc, opts.namespace, changed, log);
  reconciler = new Reconciler(view, members, services, pools, cleanup, host.jsm, opts);
  const unsubscribe = host.subscribe({
    events: changed,
    heartbeats: () => {
      if (members.changed()) changed();
    },
  });
  let caughtUp = false;
  host.report(health, () => (caughtUp ||= view.atHead && members.caughtUp));
  const retry = setInterval(changed, opts.retryMs);
  log.info({ lbClass: opts.lbClass }, "status writer started");
  try {
    await Promise.all([services.run(signal), pools.run(signal), cleanup.run(signal)]);
  } finally {
    clearInterval(retry);
    unsubscribe();
    health.close();
    log.info({ writes: reconciler.writes, conflicts: reconciler.conflicts, deleted: cleanup.deleted }, "status writer stopped");
  }
}
