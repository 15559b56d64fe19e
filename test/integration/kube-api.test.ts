import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsFromKubeconfig } from "../../src/kube/credentials.js";
import { kubeRequest } from "../../src/kube/http.js";
import { renderChart } from "../../src/testing/helmChart.js";
import { crdFiles, startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";

// The test Kubernetes API (real etcd + kube-apiserver) with the metallb.io CRDs; the MetalLB-style examples, the
// manifests rendered from the chart (RBAC included) and the chart's own output against it, used through kubectl as a
// user would.

const repo = fileURLToPath(new URL("../../", import.meta.url));
const examplesDir = join(repo, "deploy/examples/metallb");
const examples = readdirSync(examplesDir).filter((f) => f.endsWith(".yaml")).sort();
const SPEAKER = "system:serviceaccount:metallb-system:vipmesh-speaker";
const CONTROLLER = "system:serviceaccount:metallb-system:vipmesh-controller";
const RBAC = join(repo, "deploy/manifests/rbac.yaml");

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

describe("deploy/manifests (rendered from the chart) and the chart", () => {
  it("pass kubectl apply --dry-run=server", async () => {
    const out = await ok(["apply", "--dry-run=server", "-f", join(repo, "deploy/manifests")]);
    expect(out).toContain("daemonset.apps/vipmesh-speaker created (server dry run)");
    expect(out).toContain("deployment.apps/vipmesh-controller created (server dry run)");
    expect(out).toContain("statefulset.apps/vipmesh-nats created (server dry run)");
  });

  it("renders with its defaults (generated NATS PKI, passwords and probe key) into objects the API server accepts", async () => {
    const rendered = await renderChart({ set: ["nats.speakerNodes={node1,node2}"] });
    const out = await ok(["apply", "--dry-run=server", "-f", "-"], rendered);
    for (const name of ["secret/vipmesh-nats-server", "secret/vipmesh-nats-speaker", "secret/vipmesh-nats-auth", "secret/vipmesh-probe-key", "statefulset.apps/vipmesh-nats", "poddisruptionbudget.policy/vipmesh-nats"]) {
      expect(out).toContain(`${name} created (server dry run)`);
    }
  });

  it("give each component only what it uses (kubectl auth can-i)", async () => {
    await ok(["apply", "-f", RBAC]);
    const can = async (as: string, ...args: string[]): Promise<boolean> => (await api.kubectl(["auth", "can-i", ...args, `--as=${as}`])).stdout.trim() === "yes";
    const ns = ["-n", "metallb-system"];
    const speaker = {
      "list services": await can(SPEAKER, "list", "services"),
      "list endpointslices": await can(SPEAKER, "list", "endpointslices.discovery.k8s.io"),
      "watch nodes": await can(SPEAKER, "watch", "nodes"),
      "list ipaddresspools": await can(SPEAKER, "list", "ipaddresspools.metallb.io", ...ns),
      "create servicel2statuses": await can(SPEAKER, "create", "servicel2statuses.metallb.io", ...ns),
      "watch servicel2statuses": await can(SPEAKER, "watch", "servicel2statuses.metallb.io", ...ns),
      "patch servicel2statuses/status": await can(SPEAKER, "patch", "servicel2statuses.metallb.io", "--subresource=status", ...ns),
      "delete servicel2statuses": await can(SPEAKER, "delete", "servicel2statuses.metallb.io", ...ns),
      "create servicebgpstatuses": await can(SPEAKER, "create", "servicebgpstatuses.metallb.io", ...ns),
      "list servicebgpstatuses": await can(SPEAKER, "list", "servicebgpstatuses.metallb.io", ...ns),
      "patch servicebgpstatuses/status": await can(SPEAKER, "patch", "servicebgpstatuses.metallb.io", "--subresource=status", ...ns),
      "delete servicebgpstatuses": await can(SPEAKER, "delete", "servicebgpstatuses.metallb.io", ...ns),
      "update servicebgpstatuses (not needed: status is patched)": await can(SPEAKER, "update", "servicebgpstatuses.metallb.io", ...ns),
      "create servicebgpstatuses in default": await can(SPEAKER, "create", "servicebgpstatuses.metallb.io", "-n", "default"),
      "create configurationstates": await can(SPEAKER, "create", "configurationstates.metallb.io", ...ns),
      "delete configurationstates": await can(SPEAKER, "delete", "configurationstates.metallb.io/controller", ...ns),
      "create events": await can(SPEAKER, "create", "events", "-n", "default"),
      "create services": await can(SPEAKER, "create", "services"),
      "update services": await can(SPEAKER, "update", "services"),
      "patch services": await can(SPEAKER, "patch", "services"),
      "update services/status": await can(SPEAKER, "update", "services", "--subresource=status"),
      "get secrets in metallb-system": await can(SPEAKER, "get", "secrets", ...ns),
      "list secrets in metallb-system": await can(SPEAKER, "list", "secrets", ...ns),
      "watch secrets in metallb-system": await can(SPEAKER, "watch", "secrets", ...ns),
      "create secrets in metallb-system": await can(SPEAKER, "create", "secrets", ...ns),
      "get secrets in default": await can(SPEAKER, "get", "secrets", "-n", "default"),
      "list secrets everywhere": await can(SPEAKER, "list", "secrets", "-A"),
      "update ipaddresspools": await can(SPEAKER, "update", "ipaddresspools.metallb.io", ...ns),
      "get bgppeers in metallb-system": await can(SPEAKER, "get", "bgppeers.metallb.io", ...ns),
      "list bgppeers in metallb-system": await can(SPEAKER, "list", "bgppeers.metallb.io", ...ns),
    };
    expect(speaker).toEqual({
      "list services": false,
      "list endpointslices": false,
      "watch nodes": false,
      "list ipaddresspools": false,
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
      "create configurationstates": false,
      "delete configurationstates": false,
      "create events": false,
      "create services": false,
      "update services": false,
      "patch services": false,
      "update services/status": false,
      // BGPPeer password Secrets, by name: the log carries only a reference and a hash.
      "get secrets in metallb-system": true,
      "list secrets in metallb-system": false,
      "watch secrets in metallb-system": false,
      "create secrets in metallb-system": false,
      "get secrets in default": false,
      "list secrets everywhere": false,
      "update ipaddresspools": false,
      // A BGPPeer whose inline password the log references: read by name.
      "get bgppeers in metallb-system": true,
      "list bgppeers in metallb-system": false,
    });
    const controller = {
      "patch services/status": await can(CONTROLLER, "patch", "services", "--subresource=status"),
      "update services/status": await can(CONTROLLER, "update", "services", "--subresource=status"),
      "patch ipaddresspools/status": await can(CONTROLLER, "patch", "ipaddresspools.metallb.io", "--subresource=status", ...ns),
      "update ipaddresspools/status": await can(CONTROLLER, "update", "ipaddresspools.metallb.io", "--subresource=status", ...ns),
      "create configurationstates": await can(CONTROLLER, "create", "configurationstates.metallb.io", ...ns),
      "get configurationstates/controller": await can(CONTROLLER, "get", "configurationstates.metallb.io/controller", ...ns),
      "patch configurationstates/controller status": await can(CONTROLLER, "patch", "configurationstates.metallb.io/controller", "--subresource=status", ...ns),
      "get configurationstates/speaker-node1": await can(CONTROLLER, "get", "configurationstates.metallb.io/speaker-node1", ...ns),
      "patch configurationstates/speaker-node1 status": await can(CONTROLLER, "patch", "configurationstates.metallb.io/speaker-node1", "--subresource=status", ...ns),
      "delete configurationstates": await can(CONTROLLER, "delete", "configurationstates.metallb.io/controller", ...ns),
      "list secrets in metallb-system": await can(CONTROLLER, "list", "secrets", ...ns),
      "get secrets in metallb-system": await can(CONTROLLER, "get", "secrets", ...ns),
      "list secrets in default": await can(CONTROLLER, "list", "secrets", "-n", "default"),
      "create services": await can(CONTROLLER, "create", "services"),
      "delete services": await can(CONTROLLER, "delete", "services"),
      "patch services": await can(CONTROLLER, "patch", "services"),
      "update ipaddresspools": await can(CONTROLLER, "update", "ipaddresspools.metallb.io", ...ns),
      "watch nodes": await can(CONTROLLER, "watch", "nodes"),
      "watch services": await can(CONTROLLER, "watch", "services"),
      "watch endpointslices": await can(CONTROLLER, "watch", "endpointslices.discovery.k8s.io"),
      "watch bgppeers": await can(CONTROLLER, "watch", "bgppeers.metallb.io", ...ns),
      "create events": await can(CONTROLLER, "create", "events", "-n", "default"),
      "watch servicel2statuses": await can(CONTROLLER, "watch", "servicel2statuses.metallb.io", ...ns),
      "delete servicel2statuses": await can(CONTROLLER, "delete", "servicel2statuses.metallb.io", ...ns),
      "delete servicebgpstatuses": await can(CONTROLLER, "delete", "servicebgpstatuses.metallb.io", ...ns),
      "create servicel2statuses": await can(CONTROLLER, "create", "servicel2statuses.metallb.io", ...ns),
      "patch servicebgpstatuses/status": await can(CONTROLLER, "patch", "servicebgpstatuses.metallb.io", "--subresource=status", ...ns),
      "delete servicel2statuses in default": await can(CONTROLLER, "delete", "servicel2statuses.metallb.io", "-n", "default"),
      "create tokenreviews": await can(CONTROLLER, "create", "tokenreviews.authentication.k8s.io"),
      "create tokenrequests for the speaker": await can(CONTROLLER, "create", "serviceaccounts/token", ...ns),
    };
    expect(controller).toEqual({
      "patch services/status": true,
      "update services/status": false,
      "patch ipaddresspools/status": true,
      "update ipaddresspools/status": false,
      "create configurationstates": true,
      "get configurationstates/controller": true,
      "patch configurationstates/controller status": true,
      "get configurationstates/speaker-node1": false,
      "patch configurationstates/speaker-node1 status": false,
      "delete configurationstates": false,
      "list secrets in metallb-system": true,
      "get secrets in metallb-system": false,
      "list secrets in default": false,
      "create services": false,
      "delete services": false,
      "patch services": true,
      "update ipaddresspools": false,
      "watch nodes": true,
      "watch services": true,
      "watch endpointslices": true,
      "watch bgppeers": true,
      "create events": true,
      "watch servicel2statuses": true,
      "delete servicel2statuses": true,
      "delete servicebgpstatuses": true,
      "create servicel2statuses": false,
      "patch servicebgpstatuses/status": false,
      "delete servicel2statuses in default": false,
      // nats.auth.mode callout: each speaker's token is checked before NATS lets it in.
      "create tokenreviews": true,
      "create tokenrequests for the speaker": false,
    });
    // The auth callout's keys Job: it makes its Secret and reads it back, nothing else.
    const KEYS = "system:serviceaccount:metallb-system:vipmesh-callout-keys";
    const keys = {
      "create secrets in metallb-system": await can(KEYS, "create", "secrets", ...ns),
      "get secrets/vipmesh-nats-callout": await can(KEYS, "get", "secrets/vipmesh-nats-callout", ...ns),
      "get secrets/vipmesh-nats-admin": await can(KEYS, "get", "secrets/vipmesh-nats-admin", ...ns),
      "list secrets in metallb-system": await can(KEYS, "list", "secrets", ...ns),
      "update secrets/vipmesh-nats-callout": await can(KEYS, "update", "secrets/vipmesh-nats-callout", ...ns),
      "create secrets in default": await can(KEYS, "create", "secrets", "-n", "default"),
    };
    expect(keys).toEqual({
      "create secrets in metallb-system": true,
      "get secrets/vipmesh-nats-callout": true,
      "get secrets/vipmesh-nats-admin": false,
      "list secrets in metallb-system": false,
      "update secrets/vipmesh-nats-callout": false,
      "create secrets in default": false,
    });
  });

  it("let the controller write a Service's status and its pool annotation, and nothing else of it", async () => {
    await ok(["apply", "-f", RBAC]);
    await ok(["create", "service", "loadbalancer", "web", "--tcp=80:8080"]);
    // As the controller does it: merge patches without a read first (kubectl patch would GET, which it may not).
    const asController = join(api.dir, "controller.kubeconfig");
    writeFileSync(asController, readFileSync(api.kubeconfig, "utf8").replace("  user:\n", `  user:\n    as: ${CONTROLLER}\n`));
    const kc = credentialsFromKubeconfig(asController);
    const patch = (body: unknown, sub = ""): Promise<unknown> =>
      kubeRequest(kc, { method: "PATCH", path: `/api/v1/namespaces/default/services/web${sub}`, body, contentType: "application/merge-patch+json" });
    await patch({ metadata: { annotations: { "metallb.io/ip-allocated-from-pool": "first-pool" } } });
    await patch({ status: { loadBalancer: { ingress: [{ ip: "192.168.10.1", ipMode: "VIP" }] } } }, "/status");
    const denied = [{ spec: { externalTrafficPolicy: "Local" } }, { metadata: { annotations: { "metallb.io/address-pool": "cheap" } } }, { metadata: { labels: { owner: "vipmesh" } } }];
    for (const body of denied) await expect(patch(body)).rejects.toThrow(/vipmesh-controller-service-writes/);
    const svc = JSON.parse(await ok(["get", "service", "web", "-o", "json"])) as { metadata: { annotations: Record<string, string> }; status: unknown };
    expect(svc.metadata.annotations["metallb.io/ip-allocated-from-pool"]).toBe("first-pool");
    expect(svc.status).toEqual({ loadBalancer: { ingress: [{ ip: "192.168.10.1", ipMode: "VIP" }] } });
  });
});
