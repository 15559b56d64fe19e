import { stringify } from "yaml";

// Objects that `kubectl apply` must reject, each with the field the message names and a fragment of the reason.
// `before` is applied first (for rules on updates); `status` cases write the status subresource instead.

export type InvalidCase = { name: string; manifest: string; field: string; message: string; before?: string; status?: boolean };

const NS = "metallb-system";
let seq = 0;
const doc = (apiVersion: string, kind: string, body: Record<string, unknown>, name = `bad-${++seq}`): string =>
  stringify({ apiVersion, kind, metadata: { name, namespace: NS }, ...body });

const pool = (spec: unknown): string => doc("metallb.io/v1beta1", "IPAddressPool", { spec });
const l2 = (spec: unknown): string => doc("metallb.io/v1beta1", "L2Advertisement", { spec });
const bgpAdv = (spec: unknown): string => doc("metallb.io/v1beta1", "BGPAdvertisement", { spec });
const peer = (spec: Record<string, unknown>, name?: string): string =>
  doc("metallb.io/v1beta2", "BGPPeer", { spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", ...spec } }, name);
const bare = (spec: Record<string, unknown>): string => doc("metallb.io/v1beta2", "BGPPeer", { spec: { myASN: 64512, ...spec } });
const oldPeer = (spec: Record<string, unknown>): string =>
  doc("metallb.io/v1beta1", "BGPPeer", { spec: { myASN: 64512, peerASN: 64513, peerAddress: "192.0.2.1", ...spec } });
const bfd = (spec: unknown): string => doc("metallb.io/v1beta1", "BFDProfile", { spec });
const aliases = (communities: unknown): string => doc("metallb.io/v1beta1", "Community", { spec: { communities } });
const sel = (matchExpressions: unknown): unknown => [{ matchExpressions }];

const c = (name: string, manifest: string, field: string, message: string, extra: Partial<InvalidCase> = {}): InvalidCase => ({
  name,
  manifest,
  field,
  message,
  ...extra,
});

export const INVALID_CASES: InvalidCase[] = [
  // IPAddressPool
  c("pool: prefix length over 32", pool({ addresses: ["192.168.10.0/33"] }), "spec.addresses[0]", "must be a CIDR"),
  c("pool: not an address", pool({ addresses: ["pool-of-ten"] }), "spec.addresses[0]", "a range must be two IP addresses"),
  c("pool: word without dash", pool({ addresses: ["everything"] }), "spec.addresses[0]", "must be a CIDR"),
  c("pool: leading zero in an octet", pool({ addresses: ["192.168.010.0/24"] }), "spec.addresses[0]", "must be a CIDR"),
  c("pool: range with three ends", pool({ addresses: ["192.168.1.1-192.168.1.2-192.168.1.3"] }), "spec.addresses[0]", "a range must be two IP addresses"),
  c("pool: range backwards", pool({ addresses: ["192.168.9.5-192.168.9.1"] }), "spec.addresses[0]", "start of a range must not be after its end"),
  c("pool: IPv6 range backwards", pool({ addresses: ["2001:db8::ffff-2001:db8::1"] }), "spec.addresses[0]", "start of a range must not be after its end"),
  c("pool: IPv6 range backwards in the first bit", pool({ addresses: ["8000::-7fff::ffff"] }), "spec.addresses[0]", "start of a range must not be after its end"),
  c("pool: IPv6 range backwards in the last bit", pool({ addresses: ["2001:db8::1 - 2001:db8::"] }), "spec.addresses[0]", "start of a range must not be after its end"),
  c("pool: more than 256 addresses", pool({ addresses: [...Array(257).keys()].map((i) => `10.${i >> 8}.${i & 255}.0/24`) }), "spec.addresses", "must have at most 256 items"),
  c("pool: range across families", pool({ addresses: ["192.168.9.1-fc00::1"] }), "spec.addresses[0]", "same IP family"),
  c("pool: no addresses", pool({ addresses: [] }), "spec.addresses", "should have at least 1 items"),
  c("pool: no spec", doc("metallb.io/v1beta1", "IPAddressPool", {}), "spec", "Required value"),
  c("pool: same address twice", pool({ addresses: ["10.9.0.0/24", "10.9.0.0/24"] }), "spec.addresses[1]", "Duplicate value"),
  c("pool: autoAssign not a boolean", pool({ addresses: ["10.9.1.0/24"], autoAssign: "always" }), "spec.autoAssign", "must be of type boolean"),
  c("pool: negative priority", pool({ addresses: ["10.9.2.0/24"], serviceAllocation: { priority: -1 } }), "spec.serviceAllocation.priority", "greater than or equal to 0"),
  c("pool: namespace not a DNS label", pool({ addresses: ["10.9.3.0/24"], serviceAllocation: { namespaces: ["Team_A"] } }), "spec.serviceAllocation.namespaces[0]", "should match"),
  c(
    "pool: In without values",
    pool({ addresses: ["10.9.4.0/24"], serviceAllocation: { serviceSelectors: sel([{ key: "app", operator: "In" }]) } }),
    "spec.serviceAllocation.serviceSelectors[0].matchExpressions[0].values",
    "values must be non-empty for In and NotIn",
  ),
  c(
    "pool: unknown selector operator",
    pool({ addresses: ["10.9.5.0/24"], serviceAllocation: { namespaceSelectors: sel([{ key: "app", operator: "Equals", values: ["a"] }]) } }),
    "spec.serviceAllocation.namespaceSelectors[0].matchExpressions[0].operator",
    "Unsupported value",
  ),
  c(
    "pool: label key with a space",
    pool({ addresses: ["10.9.6.0/24"], serviceAllocation: { namespaceSelectors: [{ matchLabels: { "bad key": "x" } }] } }),
    "spec.serviceAllocation.namespaceSelectors[0].matchLabels",
    "every key must be a valid label key",
  ),
  // L2Advertisement
  c("l2: interface name too long", l2({ interfaces: ["averyveryverylongname0"] }), "spec.interfaces[0]", "Too long"),
  c("l2: pool named twice", l2({ ipAddressPools: ["first-pool", "first-pool"] }), "spec.ipAddressPools[1]", "Duplicate value"),
  c("l2: Exists with values", l2({ nodeSelectors: sel([{ key: "rack", operator: "Exists", values: ["r1"] }]) }), "spec.nodeSelectors[0].matchExpressions[0].values", "empty for Exists"),
  c("l2: misspelled field", l2({ interface: ["eth0"] }), "spec.interface", "unknown field"),
  // BGPAdvertisement
  c("bgpadv: IPv4 aggregation over 32", bgpAdv({ aggregationLength: 33 }), "spec.aggregationLength", "less than or equal to 32"),
  c("bgpadv: IPv4 aggregation 0", bgpAdv({ aggregationLength: 0 }), "spec.aggregationLength", "greater than or equal to 1"),
  c("bgpadv: IPv6 aggregation over 128", bgpAdv({ aggregationLengthV6: 129 }), "spec.aggregationLengthV6", "less than or equal to 128"),
  c("bgpadv: localPref over 32 bits", bgpAdv({ localPref: 4294967296 }), "spec.localPref", "less than or equal to 4294967295"),
  c("bgpadv: community half over 16 bits", bgpAdv({ communities: ["65536:1"] }), "spec.communities[0]", "two 16-bit numbers"),
  c("bgpadv: large community over 32 bits", bgpAdv({ communities: ["large:1:2:4294967296"] }), "spec.communities[0]", "large community"),
  c("bgpadv: four parts but not large", bgpAdv({ communities: ["huge:1:2:3"] }), "spec.communities[0]", "large community"),
  c("bgpadv: community twice", bgpAdv({ communities: ["65535:65282", "65535:65282"] }), "spec.communities[1]", "Duplicate value"),
  // BGPPeer v1beta2
  c("peer: myASN 0", peer({ myASN: 0 }), "spec.myASN", "greater than or equal to 1"),
  c("peer: myASN over 32 bits", peer({ myASN: 4294967296 }), "spec.myASN", "less than or equal to 4294967295"),
  c("peer: neither peerASN nor dynamicASN", bare({ peerAddress: "192.0.2.1" }), "spec.peerASN", "one of peerASN or dynamicASN"),
  c("peer: peerASN and dynamicASN", peer({ dynamicASN: "external" }), "spec.dynamicASN", "mutually exclusive"),
  c("peer: unknown dynamicASN", bare({ dynamicASN: "auto", peerAddress: "192.0.2.1" }), "spec.dynamicASN", "Unsupported value"),
  c("peer: neither address nor interface", bare({ peerASN: 64513 }), "spec.peerAddress", "one of peerAddress or interface"),
  c("peer: address and interface", peer({ interface: "eth1" }), "spec.interface", "mutually exclusive"),
  c("peer: address out of range", peer({ peerAddress: "192.0.2.300" }), "spec.peerAddress", "must be an IPv4 or IPv6 address"),
  c("peer: source address not an IP", peer({ sourceAddress: "node-a" }), "spec.sourceAddress", "must be an IPv4 or IPv6 address"),
  c("peer: IPv6 router ID", peer({ routerID: "fc00::1" }), "spec.routerID", "must be an IPv4 address"),
  c("peer: port 0", peer({ peerPort: 0 }), "spec.peerPort", "greater than or equal to 1"),
  c("peer: port over 16384", peer({ peerPort: 16385 }), "spec.peerPort", "less than or equal to 16384"),
  c("peer: hold time 2s", peer({ holdTime: "2s" }), "spec.holdTime", "holdTime must be 0 or at least 3s"),
  c("peer: hold time not a duration", peer({ holdTime: "ninety" }), "spec.holdTime", "must be a duration"),
  c("peer: keepalive over hold time", peer({ holdTime: "30s", keepaliveTime: "60s" }), "spec.keepaliveTime", "keepaliveTime must be lower than holdTime"),
  c("peer: keepalive alone too short", peer({ keepaliveTime: "500ms" }), "spec.keepaliveTime", "3 × keepaliveTime"),
  c("peer: connect time 0", peer({ connectTime: "0s" }), "spec.connectTime", "between 1s and 65535s"),
  c("peer: connect time not whole seconds", peer({ connectTime: "1500ms" }), "spec.connectTime", "whole number of seconds"),
  c("peer: password and passwordSecret", peer({ password: "a", passwordSecret: { name: "s" } }), "spec.passwordSecret", "mutually exclusive"),
  c("peer: eBGP multihop on iBGP", peer({ peerASN: 64512, ebgpMultiHop: true }), "spec.ebgpMultiHop", "iBGP peer"),
  c("peer: localASN 0", peer({ localASN: 0 }), "spec.localASN", "greater than or equal to 1"),
  c("peer: eBGP multihop where localASN makes it iBGP", peer({ localASN: 64513, ebgpMultiHop: true }), "spec.ebgpMultiHop", "iBGP peer"),
  c("peer: eBGP multihop with dynamic internal", bare({ dynamicASN: "internal", peerAddress: "192.0.2.1", ebgpMultiHop: true }), "spec.ebgpMultiHop", "iBGP peer"),
  c("peer: disableMP and dualStackAddressFamily", peer({ disableMP: true, dualStackAddressFamily: true }), "spec.dualStackAddressFamily", "mutually exclusive"),
  c("peer: graceful restart changed", peer({ enableGracefulRestart: false }, "graceful"), "spec.enableGracefulRestart", "cannot be changed after creation", {
    before: peer({ enableGracefulRestart: true }, "graceful"),
  }),
  c("peer: graceful restart removed", peer({}, "graceful-2"), "spec.enableGracefulRestart", "cannot be changed after creation", {
    before: peer({ enableGracefulRestart: true }, "graceful-2"),
  }),
  // BGPPeer v1beta1
  c("v1beta1 peer: no peerAddress", doc("metallb.io/v1beta1", "BGPPeer", { spec: { myASN: 64512, peerASN: 64513 } }), "spec.peerAddress", "Required value"),
  c("v1beta1 peer: v1beta2-only field", oldPeer({ dynamicASN: "external" }), "spec.dynamicASN", "unknown field"),
  c("v1beta1 peer: In without values", oldPeer({ nodeSelectors: sel([{ key: "rack", operator: "In" }]) }), "spec.nodeSelectors[0].matchExpressions[0].values", "Required value"),
  c("v1beta1 peer: keepalive over hold time", oldPeer({ holdTime: "9s", keepaliveTime: "10s" }), "spec.keepaliveTime", "keepaliveTime must be lower than holdTime"),
  // BFDProfile
  c("bfd: receive interval under 10ms", bfd({ receiveInterval: 5 }), "spec.receiveInterval", "greater than or equal to 10"),
  c("bfd: transmit interval over 60s", bfd({ transmitInterval: 60001 }), "spec.transmitInterval", "less than or equal to 60000"),
  c("bfd: detect multiplier over 255", bfd({ detectMultiplier: 256 }), "spec.detectMultiplier", "less than or equal to 255"),
  c("bfd: echo interval under 10ms", bfd({ echoInterval: 9 }), "spec.echoInterval", "greater than or equal to 10"),
  c("bfd: minimum TTL 0", bfd({ minimumTtl: 0 }), "spec.minimumTtl", "greater than or equal to 1"),
  // Community
  c("community: value half over 16 bits", aliases([{ name: "a", value: "65535:70000" }]), "spec.communities[0].value", "two 16-bit numbers"),
  c("community: value is a word", aliases([{ name: "a", value: "no-export" }]), "spec.communities[0].value", "must be a community"),
  c("community: alias defined twice", aliases([{ name: "a", value: "1:1" }, { name: "a", value: "1:2" }]), "spec.communities[1]", "Duplicate value"),
  c("community: alias without value", aliases([{ name: "a" }]), "spec.communities[0].value", "Required value"),
  // Status objects, written through the status subresource
  c(
    "servicel2status: node changed",
    doc("metallb.io/v1beta1", "ServiceL2Status", { status: { node: "node-b", serviceName: "web", serviceNamespace: "default" } }, "l2-web"),
    "status.node",
    "node is immutable once set",
    { before: doc("metallb.io/v1beta1", "ServiceL2Status", { status: { node: "node-a", serviceName: "web", serviceNamespace: "default" } }, "l2-web"), status: true },
  ),
  c(
    "servicebgpstatus: service removed",
    doc("metallb.io/v1beta1", "ServiceBGPStatus", { status: { node: "node-a", serviceNamespace: "default" } }, "bgp-web"),
    "status.serviceName",
    "serviceName is immutable once set",
    { before: doc("metallb.io/v1beta1", "ServiceBGPStatus", { status: { node: "node-a", serviceName: "web", serviceNamespace: "default" } }, "bgp-web"), status: true },
  ),
  c("configurationstate: unknown result", doc("metallb.io/v1beta1", "ConfigurationState", { status: { result: "Broken" } }, "cs-1"), "status.result", "Unsupported value", {
    before: doc("metallb.io/v1beta1", "ConfigurationState", {}, "cs-1"),
    status: true,
  }),
];
