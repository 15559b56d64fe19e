// IPAddressPool, L2Advertisement and BGPAdvertisement (metallb.io/v1beta1), with MetalLB's fields, defaults and ranges.
import { arr, bool, crd, DNS_LABEL_PATTERN, int, labelSelector, obj, type Rule, type Schema, selectorList, str, stringSet } from "./schema.js";

// An address is a CIDR or "start-end" (spaces around '-' allowed, as MetalLB trims them).
const START = "self.split('-')[0].trim()";
const END = "self.split('-')[1].trim()";
const IS_RANGE = `(self.contains('-') && size(self.split('-')) == 2 && isIP(${START}) && isIP(${END}))`;
// CEL cannot compare IPv6 addresses, but it can test prefixes. Start s is after end e when, for some p, e's
// (p+1)-bit prefix holds s/p's network address (so e shares s's first p bits and e's bit p+1 is 0) but not s (so s's
// bit p+1 is 1). Prefix lengths are string literals indexed by p and values are named by comprehensions over
// one-element lists (CRD rules have no cel.bind), which keeps the estimated cost within the API server's budget.
const PREFIXES = (from: number): string => `[${[...Array(128).keys()].map((p) => `'/${p + from}'`).join(",")}]`;
const v6NotAfter = (a: string, b: string): string =>
  `[${a}].all(s, [${b}].all(e, ![${[...Array(128).keys()].join(",")}].exists(p, [cidr(e + ${PREFIXES(1)}[p])].all(c, c.containsIP(cidr(s + ${PREFIXES(0)}[p]).masked().ip()) && !c.containsIP(s)))))`;
const v4 = (e: string): string => [0, 1, 2, 3].map((i) => `int(${e}.split('.')[${i}]) * ${256 ** (3 - i)}`).join(" + ");

export const ADDRESS_RULES: Rule[] = [
  {
    rule: "self.contains('-') || isCIDR(self)",
    message: "must be a CIDR (like 192.168.10.0/24 or fc00:f853:ccd:e799::/124) or a range of two addresses joined by '-' (like 192.168.9.1-192.168.9.5)",
  },
  { rule: `!self.contains('-') || ${IS_RANGE}`, message: "a range must be two IP addresses joined by '-' (like 192.168.9.1-192.168.9.5)" },
  { rule: `!${IS_RANGE} || ip(${START}).family() == ip(${END}).family()`, message: "both ends of a range must be of the same IP family" },
  {
    rule: `!${IS_RANGE} || ip(${START}).family() != 4 || ip(${END}).family() != 4 || ${v4(START)} <= ${v4(END)}`,
    message: "the start of a range must not be after its end",
  },
  {
    rule: `!${IS_RANGE} || ip(${START}).family() != 6 || ip(${END}).family() != 6 || ${v6NotAfter(START, END)}`,
    message: "the start of a range must not be after its end",
  },
];

const poolSpec = obj(
  "IPAddressPoolSpec: the addresses of the pool and who may be allocated from it.",
  {
    addresses: arr(
      "The IP ranges the pool allocates from: CIDR prefixes or explicit start-end ranges. Every entry shares the pool's settings.",
      str("A CIDR (192.168.10.0/24) or a range (192.168.9.1-192.168.9.5).", { maxLength: 100 }, ADDRESS_RULES),
      { minItems: 1, maxItems: 256, "x-kubernetes-list-type": "set" },
    ),
    autoAssign: bool("Whether addresses are allocated from this pool automatically, without the Service asking for it.", { default: true }),
    avoidBuggyIPs: bool("Skip addresses ending in .0 and .255.", { default: false }),
    serviceAllocation: obj("Restricts the pool to some namespaces and Services; lower priority values are tried first.", {
      priority: int("Priority of the pool when several match a Service; pools without priority are used last.", { minimum: 0, maximum: 2147483647 }),
      namespaces: stringSet("Namespaces whose Services may use this pool.", str("A namespace name.", { maxLength: 63, pattern: DNS_LABEL_PATTERN }), { maxItems: 1024 }),
      namespaceSelectors: selectorList("Selectors for namespaces whose Services may use this pool, an alternative to the namespace list."),
      serviceSelectors: selectorList("Selectors for Services that may use this pool."),
    }),
  },
  { required: ["addresses"] },
);

const count = (d: string): Schema => int(d, { format: "int64", minimum: 0 });
const poolStatus = obj(
  "IPAddressPoolStatus: how many addresses are in use, written by the controller.",
  {
    assignedIPv4: count("Assigned IPv4 addresses."),
    assignedIPv6: count("Assigned IPv6 addresses."),
    availableIPv4: count("Available IPv4 addresses."),
    availableIPv6: count("Available IPv6 addresses."),
  },
  { required: ["assignedIPv4", "assignedIPv6", "availableIPv4", "availableIPv6"] },
);

export const ipAddressPool = crd({
  kind: "IPAddressPool",
  plural: "ipaddresspools",
  singular: "ipaddresspool",
  description: "a pool of IP addresses that can be allocated to LoadBalancer Services.",
  versions: [
    {
      name: "v1beta1",
      storage: true,
      spec: poolSpec,
      status: poolStatus,
      specRequired: true,
      columns: [
        { name: "Auto Assign", type: "boolean", jsonPath: ".spec.autoAssign" },
        { name: "Avoid Buggy IPs", type: "boolean", jsonPath: ".spec.avoidBuggyIPs" },
        { name: "Addresses", type: "string", jsonPath: ".spec.addresses" },
      ],
    },
  ],
});

const poolRefs = {
  ipAddressPools: stringSet("IPAddressPools to advertise, by name. With no pools and no selectors, every pool is advertised.", str("An IPAddressPool name.", { maxLength: 253 }), { maxItems: 1024 }),
  ipAddressPoolSelectors: selectorList("Selectors for the IPAddressPools to advertise."),
  nodeSelectors: selectorList("Nodes to announce from; empty means every node."),
};

export const l2Advertisement = crd({
  kind: "L2Advertisement",
  plural: "l2advertisements",
  singular: "l2advertisement",
  description: "advertises the addresses of the selected pools with ARP (IPv4) and NDP (IPv6).",
  versions: [
    {
      name: "v1beta1",
      storage: true,
      spec: obj("L2AdvertisementSpec: which pools are announced from which nodes and interfaces.", {
        ...poolRefs,
        interfaces: stringSet("Interfaces to announce from; empty means every interface.", str("An interface name.", { minLength: 1, maxLength: 15 }), { maxItems: 256 }),
        serviceSelectors: selectorList("Only Services these select are announced by this advertisement; empty means all."),
        preferredNodeSelectors: arr(
          "Soft preferences among the eligible nodes: when a VIP needs a new owner, nodes scored higher are chosen first.",
          obj("A weighted preference, like Kubernetes' PreferredSchedulingTerm.", {
            weight: int("Weight of this preference, 1 to 100.", { minimum: 1, maximum: 100 }),
            preference: labelSelector("The nodes this preference selects."),
          }, { required: ["weight", "preference"] }),
          { maxItems: 64 },
        ),
      }),
      status: obj("L2AdvertisementStatus (unused).", {}),
      columns: [
        { name: "IPAddressPools", type: "string", jsonPath: ".spec.ipAddressPools" },
        { name: "IPAddressPool Selectors", type: "string", jsonPath: ".spec.ipAddressPoolSelectors" },
        { name: "Interfaces", type: "string", jsonPath: ".spec.interfaces" },
        { name: "Node Selectors", type: "string", jsonPath: ".spec.nodeSelectors", priority: 10 },
      ],
    },
  ],
});

// A community is "<16-bit>:<16-bit>", "large:<32-bit>:<32-bit>:<32-bit>", or (in a BGPAdvertisement) the name of an
// alias from a Community object. A value with one or three colons is a malformed community, never an alias.
const LEGACY = "^[0-9]{1,5}:[0-9]{1,5}$";
const LARGE = "^large:[0-9]{1,10}:[0-9]{1,10}:[0-9]{1,10}$";
export const COMMUNITY_VALUE_RULES: Rule[] = [
  {
    rule: `size(self.split(':')) == 2 ? self.matches('${LEGACY}') && self.split(':').all(p, int(p) <= 65535) : true`,
    message: "a community must be two 16-bit numbers joined by ':' (like 65535:65282)",
  },
  {
    rule: `size(self.split(':')) == 4 ? self.matches('${LARGE}') && self.split(':').exists_one(p, p == 'large') && self.split(':').all(p, p == 'large' || int(p) <= 4294967295) : true`,
    message: "a large community must be 'large:' and three 32-bit numbers joined by ':' (like large:123:456:789)",
  },
];

export const bgpAdvertisement = crd({
  kind: "BGPAdvertisement",
  plural: "bgpadvertisements",
  singular: "bgpadvertisement",
  description: "advertises the addresses of the selected pools to BGP peers.",
  versions: [
    {
      name: "v1beta1",
      storage: true,
      spec: obj("BGPAdvertisementSpec: which pools are announced to which peers from which nodes, and how.", {
        aggregationLength: int("Prefix length the IPv4 addresses are rolled up to before they are announced.", { format: "int32", default: 32, minimum: 1, maximum: 32 }),
        aggregationLengthV6: int("Prefix length the IPv6 addresses are rolled up to before they are announced.", { format: "int32", default: 128, minimum: 1, maximum: 128 }),
        localPref: int("BGP LOCAL_PREF of the announcements (iBGP peers only).", { format: "int64", minimum: 0, maximum: 4294967295 }),
        communities: stringSet(
          "BGP communities attached to the announcements: values, or names of aliases defined in a Community.",
          str("A community (65535:65282, large:123:456:789) or an alias name.", { minLength: 1, maxLength: 64 }, COMMUNITY_VALUE_RULES),
          { maxItems: 256 },
        ),
        ...poolRefs,
        peers: stringSet("BGPPeers to announce to, by name; empty means every peer.", str("A BGPPeer name.", { maxLength: 253 }), { maxItems: 1024 }),
      }, { extra: { default: {} } }), // so an advertisement without spec still gets the aggregation defaults
      status: obj("BGPAdvertisementStatus (unused).", {}),
      columns: [
        { name: "IPAddressPools", type: "string", jsonPath: ".spec.ipAddressPools" },
        { name: "IPAddressPool Selectors", type: "string", jsonPath: ".spec.ipAddressPoolSelectors" },
        { name: "Peers", type: "string", jsonPath: ".spec.peers" },
        { name: "Node Selectors", type: "string", jsonPath: ".spec.nodeSelectors", priority: 10 },
      ],
    },
  ],
});
