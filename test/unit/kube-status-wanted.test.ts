import { describe, expect, it } from "vitest";
import { parseManifests } from "../../src/config/parseManifests.js";
import { wantedStatus } from "../../src/kube/status/desired.js";
import { l2StatusName, wantedL2Statuses } from "../../src/kube/status/l2Wanted.js";
import { annotationPatch, statusPatch } from "../../src/kube/status/servicePatches.js";
import type { KubeObject } from "../../src/kube/informer.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";
import { MemoryLog, Replica } from "../support/ipamLog.js";

// What the status writers want, from the projection alone, and the patches they send only when it differs.

function allocated() {
  const log = new MemoryLog();
  const l2 = parseManifests("kind: L2Advertisement\nmetadata: { name: all }\n").l2Advertisements;
  log.applyConfig(clusterConfig({
    pools: [pool("lab", ["198.18.0.200/31"])],
    l2Advertisements: l2,
    services: [service("default/web"), service("default/api"), service("default/late")],
  }));
  const replica = new Replica(log, "a");
  replica.converge();
  return replica.state;
}

describe("wanted status", () => {
  it("gives each Service its IPs and pool, or the reason it has none; pool usage", () => {
    const wanted = wantedStatus(allocated(), null);
    expect(wanted.services.get("default/api")).toEqual({ key: "default/api", ips: ["198.18.0.200"], pool: "lab", notAnnounced: null });
    expect(wanted.services.get("default/late")?.ips).toEqual(["198.18.0.201"]);
    expect(wanted.services.get("default/web")?.notAnnounced?.reason).toBe("PoolExhausted");
    expect(wanted.pools).toEqual([{ pool: "lab", assignedIPv4: 2, assignedIPv6: 0, availableIPv4: 0, availableIPv6: 0 }]);
  });

  it("one ServiceL2Status per Service a node owns the VIP of", () => {
    const state = allocated();
    const vip = { owner: "node1", incarnation: 1, term: 1, subjectSeq: 1, since: 0, reason: "unowned" as const };
    const owned = { ...state, vips: { "198.18.0.200": vip, "198.18.0.201": { ...vip, owner: "node2" } } };
    expect([...wantedL2Statuses(owned, "node1").values()]).toEqual([
      { name: l2StatusName("node1", "default/api"), node: "node1", serviceName: "api", serviceNamespace: "default" },
    ]);
    expect(wantedL2Statuses(owned, "node3").size).toBe(0);
  });

  it("patches only what differs, guarded by resourceVersion; a settled Service gets no patch", () => {
    const wanted = { key: "default/web", ips: ["198.18.0.201"], pool: "lab", notAnnounced: null };
    const svc: KubeObject = { kind: "Service", metadata: { name: "web", namespace: "default", resourceVersion: "7" }, status: {} };
    const patch = statusPatch(svc, wanted, "2026-01-01T00:00:00Z") as { metadata: { resourceVersion: string }; status: { loadBalancer: unknown; conditions: { type: string; status: string }[] } };
    expect(patch.metadata.resourceVersion).toBe("7");
    expect(patch.status.loadBalancer).toEqual({ ingress: [{ ip: "198.18.0.201" }] });
    const settled: KubeObject = { ...svc, metadata: { ...svc.metadata, annotations: { "metallb.io/ip-allocated-from-pool": "lab" } }, status: patch.status };
    expect(statusPatch(settled, wanted, "2026-01-01T00:00:09Z")).toBeNull();
    expect(annotationPatch(settled, wanted)).toBeNull();
    expect(annotationPatch(svc, wanted)).toEqual({ metadata: { resourceVersion: "7", annotations: { "metallb.io/ip-allocated-from-pool": "lab" } } });
  });
});
