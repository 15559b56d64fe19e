// BFD state in ServiceBGPStatus, through Kubernetes, for both BGP backends: a real kube-apiserver, `vipmesh
// controller`s, speakers with --kubeconfig (native BFD, or FRR's bfdd beside each speaker with --bgp-backend frr) and
// the lab's FRR router with bfdd paired with each node's BGP session. Each node's ServiceBGPStatus lists the BGPPeer's
// BFD session Up (and, natively, that the profile's echo mode is not run); a router whose bfdd freezes shows as Down
// in every node's status, and Up again once it resumes.
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BGP_LAB_ASN, BGP_LAB_POOL } from "../../src/lab/bgpCluster.js";
import { ROUTER_V4 } from "../../src/lab/bgpRouter.js";
import { frrModeArgs } from "../../src/lab/frrMode.js";
import { startKubeBgpCluster, type KubeBgpCluster } from "../../src/lab/kubeBgpCluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole } from "../../src/lab/topology.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.10";
const NODES = 2;
const unavailable = labUnavailableReason();

type BfdEntry = { peer: string; status: string; echo?: string };
type BgpStatus = { node?: string; peers?: string[]; bfd?: BfdEntry[] };

const config = (echo: boolean): string => `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bgp, namespace: metallb-system }
spec: { addresses: ["${BGP_LAB_POOL}"] }
---
apiVersion: metallb.io/v1beta1
kind: BFDProfile
metadata: { name: lab, namespace: metallb-system }
spec: { receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3${echo ? ", echoMode: true" : ""} }
---
apiVersion: metallb.io/v1beta2
kind: BGPPeer
metadata: { name: router, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, peerASN: ${BGP_LAB_ASN}, peerAddress: "${ROUTER_V4}", holdTime: 30s, bfdProfile: lab }
---
apiVersion: metallb.io/v1beta1
kind: BGPAdvertisement
metadata: { name: bgp, namespace: metallb-system }
spec: { ipAddressPools: [bgp] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default, annotations: { metallb.io/loadBalancerIPs: "${VIP}" } }
spec: { type: LoadBalancer, externalTrafficPolicy: Cluster, ipFamilies: [IPv4], ipFamilyPolicy: SingleStack, ports: [{ port: 80, protocol: TCP }] }
`;

// The native backend's profile asks for echo mode, which it does not run: the status says so. FRR's bfdd runs echo
// itself, so the FRR run's profile leaves it out. The FRR run installs the chart with nats.auth.mode static (a NATS user
// per Node), the native run with the default auth callout: both ways speakers can log in stay covered in the lab.
const BACKENDS = [
  { backend: "native", args: [] as string[], echo: true, natsAuthMode: "callout" as const },
  { backend: "frr", args: frrModeArgs(), echo: false, natsAuthMode: "static" as const },
];

describe.skipIf(unavailable !== undefined).each(BACKENDS)("BFD state in ServiceBGPStatus (kube-apiserver, FRR router with bfdd, $backend backend, NATS login $natsAuthMode)", ({ args, echo, natsAuthMode }) => {
  let k: KubeBgpCluster;
  let last: BgpStatus[] = [];
  const nodes = Array.from({ length: NODES }, (_, i) => nodeRole(i + 1));

  const statuses = async (): Promise<BgpStatus[]> => {
    const r = await k.api.kubectl(["get", "servicebgpstatuses.metallb.io", "-n", "metallb-system", "-o", "json"]);
    const items = r.code === 0 ? (JSON.parse(r.stdout) as { items: { status?: BgpStatus }[] }).items : [];
    return items.map((o) => o.status ?? {}).sort((a, b) => (a.node ?? "").localeCompare(b.node ?? ""));
  };
  const everyNode = (status: string) => async (): Promise<BgpStatus[] | undefined> => {
    const got = await statuses();
    last = got;
    return got.length === NODES && got.every((s) => s.bfd?.[0]?.status === status) ? got : undefined;
  };

  beforeAll(async () => {
    k = await startKubeBgpCluster({ nodes: NODES, natsAuthMode, vips: [VIP], routerBfd: { receiveMs: 300, transmitMs: 300, detectMultiplier: 3 }, speakerArgs: args, log: pino({ level: "warn" }) });
    const r = await k.api.kubectl(["apply", "-f", "-"], { input: config(echo) });
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    await auditThenDestroy(k?.cluster, () => k.destroy());
  });

  it(`speakers log in to NATS as nats.auth.mode ${natsAuthMode} renders them`, () => {
    const argv = readFileSync(`/proc/${k.cluster.speakers.get(1)?.pid ?? 0}/cmdline`, "utf8").split("\0");
    if (natsAuthMode === "static") expect(argv.slice(argv.indexOf("--nats-user"), argv.indexOf("--nats-user") + 2)).toEqual(["--nats-user", "speaker-node1"]);
    else expect(argv.includes("--nats-token-file") && !argv.includes("--nats-user")).toBe(true);
  });

  it("each node's ServiceBGPStatus lists the peer's BFD session Up", async () => {
    const got = await waitFor("BFD Up in every node's status", everyNode("Up"), 90_000, 500).catch((err: unknown) => {
      throw new Error(`${String(err)}; last seen ${JSON.stringify(last)}; speakers said ${JSON.stringify(k.cluster.speakerLines.filter((l) => /bfd|BFD|error/.test(l.line)).slice(-8))}`);
    });
    const entry = { peer: "router", status: "Up", ...(echo ? { echo: "notSupported" } : {}) };
    expect(got).toEqual(nodes.map((node) => ({ node, serviceName: "web", serviceNamespace: "default", peers: ["router"], bfd: [entry] })));
  }, 120_000);

  it("a router whose bfdd stops sending shows as Down in every node's status, and Up again once it resumes", async () => {
    await k.cluster.router.signalBfdd("SIGSTOP");
    try {
      await waitFor("BFD Down in every node's status", everyNode("Down"), 30_000, 250);
    } finally {
      await k.cluster.router.signalBfdd("SIGCONT");
    }
    await waitFor("BFD Up again in every node's status", everyNode("Up"), 60_000, 500);
  }, 120_000);
});
