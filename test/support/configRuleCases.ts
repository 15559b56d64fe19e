import { stringify } from "yaml";

// One table of configuration rules, checked in every place that must agree (docs/validation.md): the pure checker
// the file source and the ingest run (test/unit/config-rules.test.ts), the compiled `vipmesh validate`
// (test/integration/validate-cli.test.ts) and the real API server, through `kubectl apply` and the ingest's own view
// of what was applied (test/integration/kube-validation-rules.test.ts).
//
// `kube` says what Kubernetes does with the objects: "apply" refuses them at kubectl apply (a CRD rule or the API
// server's own, with `kubeMessage` in the error); "ingest" accepts them and the ingest reports the same problem or
// warning; "unique" is the duplicate-name rule, which cannot arise in Kubernetes (a second apply updates the object).

export type RuleCase = {
  rule: string;
  yaml: string;
  severity: "error" | "warning";
  object: string;
  field: string;
  reason: string;
  kube: "apply" | "ingest" | "unique";
  kubeMessage?: string;
};

const NS = "metallb-system";
const doc = (apiVersion: string, kind: string, name: string, body: Record<string, unknown>, namespace = NS): string =>
  stringify({ apiVersion, kind, metadata: { name, namespace }, ...body });
const docs = (...parts: string[]): string => parts.join("---\n");

const pool = (name: string, addresses: unknown, extra: Record<string, unknown> = {}): string => doc("metallb.io/v1beta1", "IPAddressPool", name, { spec: { addresses, ...extra } });
const l2 = (name: string, spec: Record<string, unknown> = {}): string => doc("metallb.io/v1beta1", "L2Advertisement", name, { spec });
const bgpAdv = (name: string, spec: Record<string, unknown>): string => doc("metallb.io/v1beta1", "BGPAdvertisement", name, { spec });
const peer = (name: string, spec: Record<string, unknown>): string =>
  doc("metallb.io/v1beta2", "BGPPeer", name, { spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", ...spec } });
const service = (name: string, annotations: Record<string, string>): string =>
  stringify({ apiVersion: "v1", kind: "Service", metadata: { name, namespace: "default", annotations }, spec: { type: "LoadBalancer", ports: [{ port: 80 }] } });
/** A valid pool and an advertisement of every pool, so a case shows only its own problem. */
const base = (n: string): string => docs(pool(`base-${n}`, [`198.19.${n}.0/24`]), l2(`all-${n}`));

const c = (rule: string, yaml: string, severity: RuleCase["severity"], object: string, field: string, reason: string, kube: RuleCase["kube"], kubeMessage?: string): RuleCase => ({
  rule, yaml, severity, object, field, reason, kube, ...(kubeMessage === undefined ? {} : { kubeMessage }),
});

export const RULE_CASES: RuleCase[] = [
  // IPAddressPool, one object
  c("reversed IPv4 range", docs(base("1"), pool("v4-back", ["198.18.1.9-198.18.1.1"])), "error", "IPAddressPool/v4-back", "spec.addresses[0]", "start is after its end", "apply", "start of a range must not be after its end"),
  c("reversed IPv6 range", docs(base("2"), pool("v6-back", ["2001:db8::ff-2001:db8::1"])), "error", "IPAddressPool/v6-back", "spec.addresses[0]", "start is after its end", "apply", "start of a range must not be after its end"),
  c("range across families", docs(base("3"), pool("mixed", ["198.18.3.1-2001:db8::1"])), "error", "IPAddressPool/mixed", "spec.addresses[0]", "different families", "apply", "same IP family"),
  c("malformed CIDR", docs(base("4"), pool("cidr33", ["198.18.4.0/33"])), "error", "IPAddressPool/cidr33", "spec.addresses[0]", "prefix length", "apply", "must be a CIDR"),
  c("pool without addresses", docs(base("5"), pool("empty", [])), "error", "IPAddressPool/empty", "spec.addresses", ">=1 items", "apply", "should have at least 1 items"),
  c("same address twice", docs(base("6"), pool("twice", ["198.18.6.0/24", "198.18.6.0/24"])), "error", "IPAddressPool/twice", "spec.addresses[1]", "Duplicate value", "apply", "Duplicate value"),
  c("more than 256 addresses", docs(base("7"), pool("huge", [...Array(257).keys()].map((i) => `10.${i >> 8}.${i & 255}.0/24`))), "error", "IPAddressPool/huge", "spec.addresses", "<=256 items", "apply", "must have at most 256 items"),
  c("namespace not a DNS label", docs(base("8"), pool("ns", ["198.18.8.0/24"], { serviceAllocation: { namespaces: ["Team_A"] } })), "error", "IPAddressPool/ns", "spec.serviceAllocation.namespaces[0]", "DNS label", "apply", "should match"),
  c(
    "selector In without values",
    docs(base("9"), pool("sel", ["198.18.9.0/24"], { serviceAllocation: { serviceSelectors: [{ matchExpressions: [{ key: "app", operator: "In" }] }] } })),
    "error", "IPAddressPool/sel", "spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].values", "values must be non-empty for In and NotIn", "apply", "values must be non-empty for In and NotIn",
  ),
  c(
    "selector label key with a space",
    docs(base("10"), pool("key", ["198.18.10.0/24"], { serviceAllocation: { namespaceSelectors: [{ matchLabels: { "bad key": "x" } }] } })),
    "error", "IPAddressPool/key", "spec.serviceAllocation.namespaceSelectors[0].matchLabels", "every key must be a valid label key", "apply", "every key must be a valid label key",
  ),
  c("object name not a DNS subdomain", docs(base("11"), pool("Pool_1", ["198.18.11.0/24"])), "error", "IPAddressPool/Pool_1", "metadata.name", "DNS subdomain", "apply", "RFC 1123 subdomain"),
  // IPAddressPool, across objects
  c("duplicate pool names", docs(base("12"), pool("dup", ["198.18.12.0/25"]), pool("dup", ["198.18.12.128/25"])), "error", "IPAddressPool/dup", "metadata.name", "defined more than once", "unique"),
  c("overlapping pools", docs(base("13"), pool("over-a", ["198.18.13.0/24"]), pool("over-b", ["198.18.13.128/25"])), "error", "IPAddressPool/over-b", "spec.addresses[0]", "overlaps 198.18.13.0/24 of IPAddressPool/over-a", "ingest"),
  c("a pool of addresses that can never be a Service IP", docs(base("97"), pool("mcast", ["224.0.1.0/24"])), "error", "IPAddressPool/mcast", "spec.addresses[0]", "224.0.1.0/24 includes multicast addresses (224.0.0.0/4), which can never be a Service IP", "ingest"),
  c(
    "pool no advertisement selects",
    docs(pool("lonely", ["198.18.30.0/24"]), pool("shown", ["198.18.31.0/24"]), l2("only-shown", { ipAddressPools: ["shown"] })),
    "warning", "IPAddressPool/lonely", "metadata.name", "no L2Advertisement or BGPAdvertisement selects this pool", "ingest",
  ),
  // L2Advertisement
  c("L2Advertisement defined twice", docs(base("34"), l2("l2-dup", { interfaces: ["eth0"] }), l2("l2-dup", { interfaces: ["eth1"] })), "error", "L2Advertisement/l2-dup", "metadata.name", "defined more than once", "unique"),
  c("interface name too long", docs(base("14"), l2("long-if", { interfaces: ["averyveryverylongname0"] })), "error", "L2Advertisement/long-if", "spec.interfaces[0]", "<=15 characters", "apply", "Too long"),
  c("pool named twice", docs(base("15"), l2("twice-l2", { ipAddressPools: ["base-15", "base-15"] })), "error", "L2Advertisement/twice-l2", "spec.ipAddressPools[1]", "Duplicate value", "apply", "Duplicate value"),
  c("L2Advertisement naming a missing pool", docs(base("16"), l2("lost-l2", { ipAddressPools: ["nowhere"] })), "warning", "L2Advertisement/lost-l2", "spec.ipAddressPools[0]", 'no IPAddressPool "nowhere"', "ingest"),
  // BGPAdvertisement and Community
  c("community twice", docs(base("17"), peer("p17", {}), bgpAdv("comm", { communities: ["65535:65282", "65535:65282"] })), "error", "BGPAdvertisement/comm", "spec.communities[1]", "Duplicate value", "apply", "Duplicate value"),
  c("missing Community alias", docs(base("18"), peer("p18", {}), bgpAdv("alias", { communities: ["gold"] })), "error", "BGPAdvertisement/alias", "spec.communities[0]", '"gold" is neither a community nor a Community alias', "ingest"),
  c(
    "alias defined in two Community objects",
    docs(base("32"), doc("metallb.io/v1beta1", "Community", "c-a", { spec: { communities: [{ name: "gold", value: "65000:1" }] } }), doc("metallb.io/v1beta1", "Community", "c-b", { spec: { communities: [{ name: "gold", value: "65000:2" }] } })),
    "error", "Community/c-b", "spec.communities[0].name", 'alias "gold" defined more than once', "ingest",
  ),
  c(
    "Community value not a community, without any BGP object",
    docs(base("33"), doc("metallb.io/v1beta1", "Community", "c-bad", { spec: { communities: [{ name: "gold", value: "65000:70000" }] } })),
    "error", "Community/c-bad", "spec.communities[0].value", "is not a community", "apply", "two 16-bit numbers",
  ),
  c("BGPAdvertisement naming a missing peer", docs(base("19"), peer("p19", {}), bgpAdv("lost-peer", { peers: ["nobody"] })), "error", "BGPAdvertisement/lost-peer", "spec.peers[0]", 'no BGPPeer "nobody"', "ingest"),
  c("BGPAdvertisement naming a missing pool", docs(base("20"), peer("p20", {}), bgpAdv("lost-bgp", { ipAddressPools: ["nowhere"] })), "warning", "BGPAdvertisement/lost-bgp", "spec.ipAddressPools[0]", 'no IPAddressPool "nowhere"', "ingest"),
  c("aggregation shorter than the pool's prefix", docs(base("21"), peer("p21", {}), bgpAdv("agg", { aggregationLength: 16, ipAddressPools: ["base-21"] })), "error", "BGPAdvertisement/agg", "spec.aggregationLength", "16 is shorter than /24", "ingest"),
  // BGPPeer
  c("myASN 0", docs(base("22"), peer("peer1", { myASN: 0 })), "error", "BGPPeer/peer1", "spec.myASN", ">=1", "apply", "greater than or equal to 1"),
  c("keepalive over hold time", docs(base("23"), peer("timers", { holdTime: "30s", keepaliveTime: "60s" })), "error", "BGPPeer/timers", "spec.keepaliveTime", "", "apply", "keepaliveTime must be lower than holdTime"),
  c("disableMP and dualStackAddressFamily", docs(base("24"), peer("mp", { disableMP: true, dualStackAddressFamily: true })), "error", "BGPPeer/mp", "spec.dualStackAddressFamily", "mutually exclusive", "apply", "mutually exclusive"),
  c("peerAddress and interface", docs(base("25"), peer("both", { interface: "eth1" })), "error", "BGPPeer/both", "spec.interface", "mutually exclusive", "apply", "mutually exclusive"),
  c("unnumbered session (interface only)", docs(base("26"), doc("metallb.io/v1beta2", "BGPPeer", "unnumbered", { spec: { myASN: 64512, peerASN: 64513, interface: "eth1" } })), "error", "BGPPeer/unnumbered", "spec.interface", "not supported by vipmesh", "ingest"),
  c("missing BFDProfile", docs(base("27"), peer("bfd", { bfdProfile: "fast" })), "error", "BGPPeer/bfd", "spec.bfdProfile", 'no BFDProfile "fast"', "ingest"),
  // Service
  c("Service requesting an IP outside every pool", docs(base("28"), service("outside", { "metallb.io/loadBalancerIPs": "203.0.113.9" })), "warning", "Service/default/outside", "metadata.annotations.metallb.io/loadBalancerIPs", "203.0.113.9 is in no IPAddressPool", "ingest"),
  c("Service naming a missing pool", docs(base("29"), service("lost-pool", { "metallb.io/address-pool": "nowhere" })), "warning", "Service/default/lost-pool", "metadata.annotations.metallb.io/address-pool", 'no IPAddressPool "nowhere"', "ingest"),
];
