import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { crdFiles, startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";

// The test Kubernetes API (real etcd + kube-apiserver) with the metallb.io CRDs; the MetalLB-style examples, the
// deploy manifests and the RBAC of deploy/ against it, used through kubectl as a user would.

const repo = fileURLToPath(new URL("../../", import.meta.url));
const examplesDir = join(repo, "deploy/examples/metallb");
const examples = readdirSync(examplesDir).filter((f) => f.endsWith(".yaml")).sort();
const SPEAKER = "system:serviceaccount:metallb-system:vipmesh-speaker";
const CONTROLLER = "system:serviceaccount:metallb-system:vipmesh-controller";

let api: KubeApiServer;

beforeAll(async () => {
  api = await startKubeApiServer();
  await ok(["apply", "-f", join(repo, "deploy/manifests/00-namespace.yaml")]);
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await api.kubectl(args, input === undefined ? {} : { input });
  expect(r.code, `kubectl ${args.join(" ")}:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

describe("the test API server", () => {
  it("is ready and serves every CRD of deploy/crds, Established", async () => {
    expect(await ok(["get", "--raw", "/readyz"])).toBe("ok");
    const crds = JSON.parse(await ok(["get", "crd", "-o", "json"])) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] };
    const names = crds.items.map((c) => c.metadata.name).sort();
    expect(names).toEqual(crdFiles().map((f) => f.replace(/\.yaml$/, "")));
    for (const crd of crds.items) expect(crd.status.conditions).toContainEqual(expect.objectContaining({ type: "Established", status: "True" }));
  });

  it("serves BGPPeer as v1beta2 (stored) and v1beta1", async () => {
    const crd = JSON.parse(await ok(["get", "crd", "bgppeers.metallb.io", "-o", "json"])) as { spec: { versions: { name: string; served: boolean; storage: boolean }[] } };
    expect(crd.spec.versions.map((v) => [v.name, v.served, v.storage])).toEqual([
      ["v1beta1", true, false],
      ["v1beta2", true, true],
    ]);
  });
});

describe("deploy/examples/metallb", () => {
  it("has an example of every kind", () => {
    const kinds = new Set(examples.flatMap((f) => parseAllDocuments(readFileSync(join(examplesDir, f), "utf8")).map((d) => (d.toJS() as { kind: string }).kind)));
    const crdKinds = crdFiles().map((f) => (parseAllDocuments(readFileSync(join(repo, "deploy/crds", f), "utf8"))[0]?.toJS() as { spec: { names: { kind: string } } }).spec.names.kind);
    expect([...kinds].sort()).toEqual(crdKinds.sort());
  });

  it.each(examples)("%s applies cleanly", async (file) => {
    const r = await api.kubectl(["apply", "-f", join(examplesDir, file)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.replace(/^Warning: metallb.io\/v1beta1 BGPPeer is deprecated.*\n/m, "")).toBe("");
  });

  it("keeps MetalLB's defaults and reads a v1beta1 BGPPeer back as v1beta2", async () => {
    const pool = JSON.parse(await ok(["get", "ipaddresspool", "-n", "metallb-system", "first-pool", "-o", "json"])) as { spec: Record<string, unknown> };
    expect(pool.spec).toMatchObject({ autoAssign: true, avoidBuggyIPs: false });
    const adv = JSON.parse(await ok(["get", "bgpadvertisement", "-n", "metallb-system", "example", "-o", "json"])) as { spec: Record<string, unknown> };
    expect(adv.spec).toMatchObject({ aggregationLength: 32, aggregationLengthV6: 128 });
    const legacy = JSON.parse(await ok(["get", "bgppeers.v1beta2.metallb.io", "-n", "metallb-system", "legacy", "-o", "json"])) as { apiVersion: string; spec: Record<string, unknown> };
    expect(legacy.apiVersion).toBe("metallb.io/v1beta2");
    expect(legacy.spec).toMatchObject({ myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.2", holdTime: "3m", peerPort: 179 });
  });
});

describe("deploy/manifests and deploy/rbac", () => {
  it("pass kubectl apply --dry-run=server", async () => {
    const out = await ok(["apply", "--dry-run=server", "-f", join(repo, "deploy/manifests"), "-f", join(repo, "deploy/rbac")]);
    expect(out).toContain("daemonset.apps/vipmesh-speaker created (server dry run)");
    expect(out).toContain("deployment.apps/vipmesh-controller created (server dry run)");
  });

  it("give each component only what it needs (kubectl auth can-i)", async () => {
    await ok(["apply", "-f", join(repo, "deploy/rbac")]);
    const can = async (as: string, ...args: string[]): Promise<boolean> => (await api.kubectl(["auth", "can-i", ...args, `--as=${as}`])).stdout.trim() === "yes";
    const speaker = {
      "list services": await can(SPEAKER, "list", "services"),
      "list endpointslices": await can(SPEAKER, "list", "endpointslices.discovery.k8s.io"),
      "watch nodes": await can(SPEAKER, "watch", "nodes"),
      "list ipaddresspools": await can(SPEAKER, "list", "ipaddresspools.metallb.io", "-n", "metallb-system"),
      "create servicel2statuses": await can(SPEAKER, "create", "servicel2statuses.metallb.io", "-n", "metallb-system"),
      "watch servicel2statuses": await can(SPEAKER, "watch", "servicel2statuses.metallb.io", "-n", "metallb-system"),
      "patch servicel2statuses/status": await can(SPEAKER, "patch", "servicel2statuses.metallb.io", "--subresource=status", "-n", "metallb-system"),
      "delete servicel2statuses": await can(SPEAKER, "delete", "servicel2statuses.metallb.io", "-n", "metallb-system"),
      "create servicebgpstatuses": await can(SPEAKER, "create", "servicebgpstatuses.metallb.io", "-n", "metallb-system"),
      "list servicebgpstatuses": await can(SPEAKER, "list", "servicebgpstatuses.metallb.io", "-n", "metallb-system"),
      "patch servicebgpstatuses/status": await can(SPEAKER, "patch", "servicebgpstatuses.metallb.io", "--subresource=status", "-n", "metallb-system"),
      "delete servicebgpstatuses": await can(SPEAKER, "delete", "servicebgpstatuses.metallb.io", "-n", "metallb-system"),
      "update servicebgpstatuses (not needed: status is patched)": await can(SPEAKER, "update", "servicebgpstatuses.metallb.io", "-n", "metallb-system"),
      "create servicebgpstatuses in default": await can(SPEAKER, "create", "servicebgpstatuses.metallb.io", "-n", "default"),
      "create events": await can(SPEAKER, "create", "events", "-n", "default"),
      "create services": await can(SPEAKER, "create", "services"),
      "update services": await can(SPEAKER, "update", "services"),
      "patch services": await can(SPEAKER, "patch", "services"),
      "update services/status": await can(SPEAKER, "update", "services", "--subresource=status"),
      "get secrets in metallb-system": await can(SPEAKER, "get", "secrets", "-n", "metallb-system"),
      "list secrets in metallb-system": await can(SPEAKER, "list", "secrets", "-n", "metallb-system"),
      "get secrets in default": await can(SPEAKER, "get", "secrets", "-n", "default"),
      "list secrets everywhere": await can(SPEAKER, "list", "secrets", "-A"),
      "update ipaddresspools": await can(SPEAKER, "update", "ipaddresspools.metallb.io", "-n", "metallb-system"),
    };
    expect(speaker).toEqual({
      "list services": true,
      "list endpointslices": true,
      "watch nodes": true,
      "list ipaddresspools": true,
      "create servicel2statuses": true,
      "watch servicel2statuses": true,
      "patch servicel2statuses/status": true,
      "delete servicel2statuses": true,
      "create servicebgpstatuses": true,
      "list servicebgpstatuses": true,
      "patch servicebgpstatuses/status": true,
      "delete servicebgpstatuses": true,
      "update servicebgpstatuses (not needed: status is patched)": false,
      "create servicebgpstatuses in default": false,
      "create events": true,
      "create services": false,
      "update services": false,
      "patch services": false,
      "update services/status": false,
      // BGPPeer password Secrets, by name: the log carries only a reference and a hash.
      "get secrets in metallb-system": true,
      "list secrets in metallb-system": false,
      "get secrets in default": false,
      "list secrets everywhere": false,
      "update ipaddresspools": false,
    });
    const controller = {
      "update services/status": await can(CONTROLLER, "update", "services", "--subresource=status"),
      "update ipaddresspools/status": await can(CONTROLLER, "update", "ipaddresspools.metallb.io", "--subresource=status", "-n", "metallb-system"),
      "create configurationstates": await can(CONTROLLER, "create", "configurationstates.metallb.io", "-n", "metallb-system"),
      "get secrets in metallb-system": await can(CONTROLLER, "get", "secrets", "-n", "metallb-system"),
      "get secrets in default": await can(CONTROLLER, "get", "secrets", "-n", "default"),
      "create services": await can(CONTROLLER, "create", "services"),
      "delete services": await can(CONTROLLER, "delete", "services"),
      "update ipaddresspools": await can(CONTROLLER, "update", "ipaddresspools.metallb.io", "-n", "metallb-system"),
      "watch nodes": await can(CONTROLLER, "watch", "nodes"),
      "watch servicel2statuses": await can(CONTROLLER, "watch", "servicel2statuses.metallb.io", "-n", "metallb-system"),
      "delete servicel2statuses": await can(CONTROLLER, "delete", "servicel2statuses.metallb.io", "-n", "metallb-system"),
      "delete servicebgpstatuses": await can(CONTROLLER, "delete", "servicebgpstatuses.metallb.io", "-n", "metallb-system"),
      "create servicel2statuses": await can(CONTROLLER, "create", "servicel2statuses.metallb.io", "-n", "metallb-system"),
      "patch servicebgpstatuses/status": await can(CONTROLLER, "patch", "servicebgpstatuses.metallb.io", "--subresource=status", "-n", "metallb-system"),
      "delete servicel2statuses in default": await can(CONTROLLER, "delete", "servicel2statuses.metallb.io", "-n", "default"),
    };
    expect(controller).toEqual({
      "update services/status": true,
      "update ipaddresspools/status": true,
      "create configurationstates": true,
      "get secrets in metallb-system": true,
      "get secrets in default": false,
      "create services": false,
      "delete services": false,
      "update ipaddresspools": false,
      "watch nodes": true,
      "watch servicel2statuses": true,
      "delete servicel2statuses": true,
      "delete servicebgpstatuses": true,
      "create servicel2statuses": false,
      "patch servicebgpstatuses/status": false,
      "delete servicel2statuses in default": false,
    });
  });

  it("let the controller write a Service's status and its pool annotation, and nothing else of it", async () => {
    await ok(["apply", "-f", join(repo, "deploy/rbac")]);
    await ok(["create", "service", "loadbalancer", "web", "--tcp=80:8080"]);
    const as = `--as=${CONTROLLER}`;
    await ok(["annotate", "service", "web", "metallb.io/ip-allocated-from-pool=first-pool", as]);
    const status = JSON.stringify({ status: { loadBalancer: { ingress: [{ ip: "192.168.10.1", ipMode: "VIP" }] } } });
    await ok(["patch", "service", "web", "--subresource=status", "--type=merge", "-p", status, as]);
    const denied = [
      ["patch", "service", "web", "-p", JSON.stringify({ spec: { externalTrafficPolicy: "Local" } }), as],
      ["annotate", "service", "web", "metallb.io/address-pool=cheap", as],
      ["label", "service", "web", "owner=vipmesh", as],
    ];
    for (const args of denied) {
      const r = await api.kubectl(args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain("vipmesh-controller-service-writes");
    }
    const svc = JSON.parse(await ok(["get", "service", "web", "-o", "json"])) as { metadata: { annotations: Record<string, string> }; status: unknown };
    expect(svc.metadata.annotations["metallb.io/ip-allocated-from-pool"]).toBe("first-pool");
    expect(svc.status).toEqual({ loadBalancer: { ingress: [{ ip: "192.168.10.1", ipMode: "VIP" }] } });
  });
});
