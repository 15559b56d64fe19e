import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/kube/informer.js";
import { describedBy, staleStatuses, type ClusterFacts } from "../../src/projections/kubeStatus/stale.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { emptyMembership, type MemberRecord, type MembershipState } from "../../src/projections/membership.js";

// Which ServiceL2Status / ServiceBGPStatus objects the controller deletes: only those no speaker will, and never
// one of a node whose speaker is running (it would create it again: a fight).

const obj = (node: string, service = "default/web", labelled = true): KubeObject => {
  const [namespace = "", name = ""] = service.split("/");
  const status = { node, serviceName: name, serviceNamespace: namespace };
  const labels = { "metallb.io/node": node, "metallb.io/service-name": name, "metallb.io/service-namespace": namespace };
  return { kind: "ServiceL2Status", metadata: { name: `l2-${node}-${name}`, namespace: "metallb-system", uid: `u-${node}`, resourceVersion: "1", ...(labelled ? { labels } : {}) }, status };
};

const member = (node: string, over: Partial<MemberRecord> = {}): MemberRecord => ({
  node, incarnation: 5, beat: 1, status: "alive", ready: true, version: "t", interfaces: [], lastHeardAt: 0, lastHeardLive: 0, streak: 3, health: 0, beatLateMs: 0, overdue: false, ...over,
});

function facts(over: { nodes?: string[]; services?: string[]; members?: MemberRecord[]; left?: Record<string, number>; restarting?: LogState["restarting"] } = {}): ClusterFacts {
  const members: MembershipState = { ...emptyMembership(), nodes: Object.fromEntries((over.members ?? []).map((m) => [m.node, m])) };
  const log: LogState = { ...emptyLogState(), left: over.left ?? {}, restarting: over.restarting ?? {} };
  return { nodes: new Set(over.nodes ?? ["node1"]), services: new Set(over.services ?? ["default/web"]), log, members };
}

const verdict = (o: KubeObject, f: ClusterFacts): string => staleStatuses([o], f)[0]?.why ?? "kept";

describe("stale status objects", () => {
  const cases: { name: string; facts: ClusterFacts; why: string }[] = [
    // a running speaker owns its objects, whatever Kubernetes says
    { name: "running node, Node and Service exist", facts: facts({ members: [member("node1")] }), why: "kept" },
    { name: "running node whose Node object is gone (it would recreate them)", facts: facts({ nodes: [], members: [member("node1")] }), why: "kept" },
    { name: "running node, Service gone (its speaker deletes its own)", facts: facts({ services: [], members: [member("node1")] }), why: "kept" },
    { name: "suspect node counts as running", facts: facts({ nodes: [], members: [member("node1", { status: "suspect" })] }), why: "kept" },
    { name: "a new incarnation after a leave is running", facts: facts({ nodes: [], members: [member("node1", { incarnation: 6 })], left: { node1: 5 } }), why: "kept" },
    // no running speaker
    { name: "Node deleted, speaker dead", facts: facts({ nodes: [], members: [member("node1", { status: "dead" })] }), why: "node-gone" },
    { name: "Node deleted, speaker never heard (beats expired)", facts: facts({ nodes: [] }), why: "node-gone" },
    { name: "Node deleted, speaker left", facts: facts({ nodes: [], members: [member("node1")], left: { node1: 5 } }), why: "node-gone" },
    { name: "Service deleted, speaker dead", facts: facts({ services: [], members: [member("node1", { status: "dead" })] }), why: "service-gone" },
    { name: "node left the cluster (NodeLeft), Node still there", facts: facts({ members: [member("node1", { status: "dead" })], left: { node1: 5 } }), why: "node-left" },
    { name: "node left, not heard since the controller started", facts: facts({ left: { node1: 5 } }), why: "node-left" },
    { name: "dead without leaving (powered off, partitioned): may come back", facts: facts({ members: [member("node1", { status: "dead" })] }), why: "kept" },
    { name: "restarting in place: its VIPs wait for it", facts: facts({ members: [member("node1", { status: "dead" })], restarting: { node1: { incarnation: 5, until: 9 } } }), why: "kept" },
    { name: "left once, came back, then died without leaving", facts: facts({ members: [member("node1", { incarnation: 6, status: "dead" })], left: { node1: 5 } }), why: "kept" },
  ];
  it.each(cases)("$name: $why", ({ facts: f, why }) => {
    expect(verdict(obj("node1"), f)).toBe(why);
  });

  it("judges each object by its own node and Service", () => {
    const f = facts({ nodes: ["node1"], services: ["default/web"], members: [member("node1")] });
    const stale = staleStatuses([obj("node1"), obj("node2"), obj("node1", "default/gone"), obj("node3", "default/gone")], f);
    expect(stale.map((s) => [s.node, s.service, s.why])).toEqual([
      ["node2", "default/web", "node-gone"],
      ["node3", "default/gone", "node-gone"],
    ]);
  });

  it("reads the node and Service from the labels, else the status; an object saying neither is not touched", () => {
    expect(describedBy(obj("node1", "default/web", false))).toEqual({ node: "node1", service: "default/web" });
    const bare: KubeObject = { kind: "ServiceL2Status", metadata: { name: "x", namespace: "metallb-system" } };
    expect(describedBy(bare)).toBeNull();
    expect(staleStatuses([bare], facts({ nodes: [] }))).toEqual([]);
  });
});
