// BGP mode configured entirely through Kubernetes, in the lab: a real kube-apiserver bridged onto the lab network,
// two `vipmesh controller`s (ingest, allocator, status writer), speakers with --kubeconfig and no configuration file,
// and a real FRR router (zebra + bgpd, ECMP) peering with every node with TCP MD5; the client sits behind the router,
// so every request is forwarded by FRR's RIB. The metallb.io objects, the password Secret and the Service are applied
// with kubectl; FRR's state is read with `vtysh -c '... json'`. The speakers read the password from the Secret
// themselves (the log carries a reference and a hash): a rotation brings every session back with the new one.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BGP_LAB_ASN, BGP_LAB_POOL } from "../../src/lab/bgpCluster.js";
import { ROUTER_V4 } from "../../src/lab/bgpRouter.js";
import { startKubeBgpCluster, type KubeBgpCluster } from "../../src/lab/kubeBgpCluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { sleep, waitFor } from "../../src/lab/run.js";
import { nodeRole, roleIp } from "../../src/lab/topology.js";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { frrBgpPaths, frrIpv4Peers, frrRibNextHops, type FrrPeerSummary } from "../support/frr.js";
import { secretsOnLog } from "../../src/testing/logGrep.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.10";
const PREFIX = `${VIP}/32`;
const VIP2 = "198.18.100.11";
const PREFIX2 = `${VIP2}/32`;
const PASSWORD = "vipmesh-kube-md5";
const ROTATED = "vipmesh-kube-md5-rotated";
const NODES = 3;
const allNodes = Array.from({ length: NODES }, (_, i) => roleIp(nodeRole(i + 1))).sort();

const SECRET = `apiVersion: v1
kind: Secret
metadata: { name: router-md5, namespace: metallb-system }
type: kubernetes.io/basic-auth
stringData: { password: "${PASSWORD}" }
`;
const COMMUNITY = `apiVersion: metallb.io/v1beta1
kind: Community
metadata: { name: lab-aliases, namespace: metallb-system }
spec: { communities: [{ name: lab-tag, value: "${BGP_LAB_ASN}:300" }] }
`;
// The advertisement's first community is the alias, the second a plain value.
const CONFIG = `${SECRET}---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bgp, namespace: metallb-system }
spec: { addresses: ["${BGP_LAB_POOL}"] }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, peerASN: ${BGP_LAB_ASN}, peerAddress: "${ROUTER_V4}", holdTime: 9s, passwordSecret: { name: router-md5, namespace: metallb-system } }
---
${COMMUNITY}---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: bgp, namespace: metallb-system }
spec: { ipAddressPools: [bgp], communities: [lab-tag, "${BGP_LAB_ASN}:7"], localPref: 150 }
`;
const service = (name: string, vip: string): string => `apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: default, annotations: { metallb.io/loadBalancerIPs: "${vip}" } }
spec: { type: LoadBalancer, externalTrafficPolicy: Cluster, ipFamilies: [IPv4], ipFamilyPolicy: SingleStack, ports: [{ port: 80, protocol: TCP }] }
`;
const COMMUNITIES = `${BGP_LAB_ASN}:7 ${BGP_LAB_ASN}:300`;

type BgpStatus = { node?: string; serviceName?: string; serviceNamespace?: string; peers?: string[] };
type ConfigurationState = { status?: { result?: string; lastError?: string } };

const unavailable = labUnavailableReason();

describe.skipIf(unavailable !== undefined)("BGP mode configured through Kubernetes (kube-apiserver, controllers, FRR, 3 nodes)", () => {
  let k: KubeBgpCluster;

  const kubectl = async (args: string[], input?: string): Promise<string> => {
    const r = await k.api.kubectl(args, input === undefined ? {} : { input });
    expect(r.code, `kubectl ${args.join(" ")}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const router = () => k.cluster.router;
  const statusIp = async (name: string): Promise<string> =>
    (await k.api.kubectl(["get", "service", name, "-n", "default", "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"])).stdout;
  const bgpStatuses = async (): Promise<BgpStatus[]> => {
    const items = (JSON.parse(await kubectl(["get", "servicebgpstatuses.metallb.io", "-n", "metallb-system", "-o", "json"])) as { items: { status?: BgpStatus }[] }).items;
    return items.map((o) => o.status ?? {}).sort((a, b) => (a.node ?? "").localeCompare(b.node ?? ""));
  };
  const controllerState = async (): Promise<ConfigurationState["status"]> => {
    const r = await k.api.kubectl(["get", "configurationstates.metallb.io", "controller", "-n", "metallb-system", "-o", "json"]);
    return r.code === 0 ? (JSON.parse(r.stdout) as ConfigurationState).status : undefined;
  };
  const nodePeers = async (): Promise<Record<string, FrrPeerSummary | undefined>> => {
    const peers = await frrIpv4Peers(router());
    return Object.fromEntries(allNodes.map((ip) => [ip, peers[ip]]));
  };
  const communitiesAtFrr = async (prefix: string): Promise<string[]> => (await frrBgpPaths(router(), prefix)).map((p) => p.community?.string ?? "").sort();

  beforeAll(async () => {
    k = await startKubeBgpCluster({ nodes: NODES, vips: [VIP, VIP2], routerPassword: PASSWORD, log: pino({ level: "warn" }) });
  }, 180_000);

  afterAll(async () => {
    await auditThenDestroy(k?.cluster, () => k.destroy());
  });

  it("objects applied with kubectl: the Service gets its IP, FRR (MD5 with the Secret's password) holds the VIP from every node with the community and local-pref, clients reach a backend", async () => {
    await kubectl(["apply", "-f", "-"], CONFIG);
    await kubectl(["apply", "-f", "-"], service("web", VIP));
    await waitFor("the Service's IP in its status", async () => ((await statusIp("web")) === VIP ? true : undefined), 60_000, 250);
    // FRR requires TCP MD5 from every node (its neighbors have the password): Established proves the speakers signed
    // with the password they got from the Secret through passwordSecret.
    for (const ip of allNodes) {
      const neighbor = (await router().vtysh<Record<string, { authenticationEnabled?: number }>>(`show bgp neighbors ${ip} json`))[ip];
      expect(neighbor?.authenticationEnabled, `FRR's neighbor ${ip} has a password`).toBe(1);
    }
    await waitFor("every node Established at FRR", async () => (Object.values(await nodePeers()).every((p) => p?.state === "Established") ? true : undefined), 60_000, 250);
    await waitFor("one next hop per node for the VIP", async () => ((await frrRibNextHops(router(), PREFIX)).length === NODES ? true : undefined), 60_000, 250);
    expect(await frrRibNextHops(router(), PREFIX)).toEqual(allNodes);
    expect(await router().fibNextHops(PREFIX)).toEqual(allNodes);
    const paths = await frrBgpPaths(router(), PREFIX);
    expect(paths.map((p) => p.nexthops?.[0]?.ip).sort()).toEqual(allNodes);
    for (const p of paths) {
      expect(p.community?.string).toBe(COMMUNITIES); // the alias resolved from the Community object, then the plain value
      expect(p.locPrf).toBe(150);
    }

    const prober = k.cluster.lab.startProber({ url: `http://${VIP}/`, intervalMs: 20, timeoutMs: 1000 });
    try {
      await prober.waitForSuccess({ timeoutMs: 20_000 });
      await waitFor("requests served by every node", () => (Object.keys(prober.servedBy()).length === NODES ? true : undefined), 30_000, 100);
    } finally {
      await prober.stop();
    }
    expect(Object.keys(prober.servedBy()).sort()).toEqual(Array.from({ length: NODES }, (_, i) => nodeRole(i + 1)));
  }, 150_000);

  it("each node writes a ServiceBGPStatus for the Service naming the BGPPeer", async () => {
    const want = Array.from({ length: NODES }, (_, i) => ({ node: nodeRole(i + 1), serviceName: "web", serviceNamespace: "default", peers: ["router"] }));
    await waitFor("a ServiceBGPStatus per node", async () => {
      const got = await bgpStatuses();
      return got.length === NODES && got.every((s) => s.peers !== undefined) ? true : undefined;
    }, 30_000, 250);
    expect(await bgpStatuses()).toEqual(want);
  }, 45_000);

  it("deleting the Community (the advertisement names a missing alias) is reported Invalid and ignored: FRR keeps the route and its community, no session reset; re-created, Valid", async () => {
    await waitFor("the controller's configuration Valid", async () => ((await controllerState())?.result === "Valid" ? true : undefined), 30_000, 250);
    const before = await nodePeers();
    for (const ip of allNodes) expect(before[ip]?.state).toBe("Established");

    await kubectl(["delete", "community.metallb.io", "lab-aliases", "-n", "metallb-system"]);
    const invalid = await waitFor("the controller's configuration Invalid", async () => {
      const s = await controllerState();
      return s?.result === "Invalid" ? s : undefined;
    }, 30_000, 250);
    expect(invalid.lastError).toContain("BGPAdvertisement/bgp: spec.communities[0]");
    await waitFor("an InvalidConfiguration event on the advertisement", async () => {
      const selector = "reason=InvalidConfiguration,involvedObject.kind=BGPAdvertisement,involvedObject.name=bgp";
      const events = (JSON.parse(await kubectl(["get", "events", "-n", "metallb-system", "--field-selector", selector, "-o", "json"])) as { items: { type?: string; message?: string }[] }).items;
      return events.some((e) => e.type === "Warning" && e.message?.includes("spec.communities[0]")) ? true : undefined;
    }, 30_000, 250);
    // The rest keeps applying: a Service created now gets its VIP advertised, under the advertisement's last good form
    // (the community the deleted alias resolved to). Seeing it at FRR also shows the speakers have acted on a
    // configuration from after the bad edit.
    await kubectl(["apply", "-f", "-"], service("web2", VIP2));
    await waitFor("the second Service's IP in its status", async () => ((await statusIp("web2")) === VIP2 ? true : undefined), 30_000, 250);
    await waitFor("one next hop per node for the second VIP", async () => ((await frrRibNextHops(router(), PREFIX2)).length === NODES ? true : undefined), 30_000, 250);
    await sleep(1_000);
    for (const prefix of [PREFIX, PREFIX2]) {
      expect(await frrRibNextHops(router(), prefix), prefix).toEqual(allNodes);
      expect(await communitiesAtFrr(prefix), prefix).toEqual(allNodes.map(() => COMMUNITIES));
      for (const p of await frrBgpPaths(router(), prefix)) expect(p.locPrf, prefix).toBe(150);
    }

    await kubectl(["apply", "-f", "-"], COMMUNITY);
    await waitFor("the controller's configuration Valid again", async () => ((await controllerState())?.result === "Valid" ? true : undefined), 30_000, 250);
    await sleep(1_500);
    for (const prefix of [PREFIX, PREFIX2]) {
      expect(await frrRibNextHops(router(), prefix), prefix).toEqual(allNodes);
      expect(await communitiesAtFrr(prefix), prefix).toEqual(allNodes.map(() => COMMUNITIES));
    }

    const after = await nodePeers();
    for (const ip of allNodes) {
      const [b, a] = [before[ip], after[ip]];
      expect(a?.state, ip).toBe("Established");
      expect(a?.connectionsEstablished, ip).toBe(b?.connectionsEstablished);
      expect(a?.connectionsDropped, ip).toBe(b?.connectionsDropped);
      // FRR derives the epoch from its uptime in whole seconds: the same establishment may read one second apart.
      expect(Math.abs((a?.peerUptimeEstablishedEpoch ?? 0) - (b?.peerUptimeEstablishedEpoch ?? -9)), ip).toBeLessThanOrEqual(1);
      expect(a?.peerUptimeMsec, ip).toBeGreaterThanOrEqual((b?.peerUptimeMsec ?? Infinity) + 1_000);
    }
  }, 90_000);

  it("deleting a Service withdraws its VIP from FRR (the other stays), and the nodes delete its ServiceBGPStatus objects", async () => {
    await kubectl(["delete", "service", "web", "-n", "default"]);
    await waitFor("the VIP gone from FRR", async () => ((await frrBgpPaths(router(), PREFIX)).length === 0 ? true : undefined), 30_000, 250);
    expect(await frrRibNextHops(router(), PREFIX)).toEqual([]);
    expect(await router().fibNextHops(PREFIX)).toEqual([]);
    expect(await frrRibNextHops(router(), PREFIX2)).toEqual(allNodes);
    await waitFor("only web2's ServiceBGPStatus objects left", async () => ((await bgpStatuses()).every((s) => s.serviceName === "web2") ? true : undefined), 30_000, 250);
    expect((await bgpStatuses()).map((s) => s.node)).toEqual(Array.from({ length: NODES }, (_, i) => nodeRole(i + 1)));
    // The sessions stay up: only the route went.
    for (const p of Object.values(await nodePeers())) expect(p?.state).toBe("Established");
  }, 75_000);

  it("rotating the password (the Secret and FRR's neighbors): every speaker reads the new one itself and its session comes back with it; no password is on the log", async () => {
    const rotatedAt = Date.now();
    await router().configure([`router bgp ${BGP_LAB_ASN}`, ...allNodes.map((ip) => `neighbor ${ip} password ${ROTATED}`)]);
    await kubectl(["apply", "-f", "-"], SECRET.replace(PASSWORD, ROTATED));
    // FRR resets a neighbor's counters with its password: a session up for less time than since the rotation is new.
    const newSession = (p: FrrPeerSummary | undefined): boolean => p?.state === "Established" && (p.peerUptimeMsec ?? Infinity) < Date.now() - rotatedAt;
    await waitFor("every node Established again with the rotated password", async () => (Object.values(await nodePeers()).every(newSession) ? true : undefined), 90_000, 500);
    await waitFor("the VIP from every node again", async () => ((await frrRibNextHops(router(), PREFIX2)).length === NODES ? true : undefined), 30_000, 250);
    // The speakers logged no value, and neither value is in EVENTS, HEARTBEATS or the snapshot bucket.
    const nc = await connectNats({ servers: [await k.cluster.lab.natsHostUrl()], security: k.cluster.lab.natsClient("admin"), name: "grep", pingIntervalMs: 2_000 });
    try {
      const { found, counts } = await secretsOnLog(nc, [PASSWORD, ROTATED]);
      expect(counts["EVENTS"]).toBeGreaterThan(0);
      expect(counts["HEARTBEATS"]).toBeGreaterThan(0);
      expect(found).toEqual([]);
    } finally {
      await nc.close();
    }
  }, 240_000);
});
