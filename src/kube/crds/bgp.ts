// BGPPeer (v1beta2 stored, v1beta1 served), BFDProfile and Community, with MetalLB's fields, defaults and ranges.
import { COMMUNITY_VALUE_RULES } from "./pools.js";
import { arr, bool, crd, int, obj, type Rule, type Schema, selectorList, str } from "./schema.js";

// Go durations as metav1.Duration parses them ("90s", "1m30s", "1.5h").
const DURATION = "^(0|(([0-9]+(\\\\.[0-9]*)?|\\\\.[0-9]+)(ns|us|µs|ms|s|m|h))+)$";
const isDuration = (e: string): string => `${e}.matches('${DURATION}')`;
const durationField = (description: string, rules: Rule[] = []): Schema =>
  str(description, { maxLength: 64 }, [{ rule: isDuration("self"), message: "must be a duration like 90s, 1m30s or 500ms" }, ...rules.map((r) => ({ ...r, rule: `!${isDuration("self")} || (${r.rule})` }))]);

const ip = (description: string): Schema => str(description, { maxLength: 45 }, [{ rule: "isIP(self)", message: "must be an IPv4 or IPv6 address" }]);
const asn = (description: string): Schema => int(description, { format: "int64", minimum: 0, maximum: 4294967295 });

const set = (f: string): string => `has(self.${f}) && self.${f} != ''`;
const both = (a: string, b: string): string => `(has(self.${a}) && has(self.${b}) && ${isDuration(`self.${a}`)} && ${isDuration(`self.${b}`)})`;

// Timers as MetalLB's parseTimers checks them: the hold time (given, or 3 × keepalive) is 0 or at least 3 s, and the
// keepalive time is not longer than the hold time.
const TIMER_RULES: Rule[] = [
  { rule: `!${both("keepaliveTime", "holdTime")} || duration(self.keepaliveTime) <= duration(self.holdTime)`, message: "keepaliveTime must be lower than holdTime", fieldPath: ".keepaliveTime" },
  {
    rule: `has(self.holdTime) || !has(self.keepaliveTime) || !${isDuration("self.keepaliveTime")} || duration(self.keepaliveTime).getMilliseconds() * 3 < 1000 || duration(self.keepaliveTime).getMilliseconds() * 3 >= 3000`,
    message: "without holdTime, the hold time is 3 × keepaliveTime, which must be 0 or at least 3s",
    fieldPath: ".keepaliveTime",
  },
];
// v1beta2 also has dynamicASN and localASN (the ASN used on the session when set, so iBGP is peerASN == localASN).
const ibgpMultiHop = (v1beta2: boolean): Rule => ({
  rule: v1beta2
    ? "!(has(self.ebgpMultiHop) && self.ebgpMultiHop) || !((has(self.peerASN) && self.peerASN == (has(self.localASN) ? self.localASN : self.myASN)) || (has(self.dynamicASN) && self.dynamicASN == 'internal'))"
    : "!(has(self.ebgpMultiHop) && self.ebgpMultiHop) || !((has(self.peerASN) && self.peerASN == self.myASN))",
  message: v1beta2
    ? "ebgpMultiHop cannot be set for an iBGP peer (peerASN equal to localASN, or myASN without it, or dynamicASN internal)"
    : "ebgpMultiHop cannot be set for an iBGP peer (peerASN equal to myASN, or dynamicASN internal)",
  fieldPath: ".ebgpMultiHop",
});

const common = {
  myASN: int("AS number of the local end of the session.", { format: "int64", minimum: 1, maximum: 4294967295 }),
  sourceAddress: ip("Source address of the session."),
  peerPort: int("Port to dial.", { minimum: 1, maximum: 16384, default: 179 }),
  holdTime: durationField("BGP hold time (RFC 4271): 0 or at least 3s.", [
    { rule: "duration(self).getSeconds() == 0 || duration(self).getSeconds() >= 3", message: "holdTime must be 0 or at least 3s" },
  ]),
  keepaliveTime: durationField("BGP keepalive time (RFC 4271); at most holdTime."),
  routerID: str("BGP router ID to advertise to the peer.", { maxLength: 15 }, [{ rule: "isIP(self) && ip(self).family() == 4", message: "must be an IPv4 address (a BGP identifier is 32 bits)" }]),
  password: str("Password for TCP MD5 authenticated sessions; prefer passwordSecret.", { maxLength: 80 }),
  bfdProfile: str("Name of the BFDProfile of the BFD session paired with this BGP session; none when empty.", { maxLength: 253 }),
  ebgpMultiHop: bool("The eBGP peer is several hops away."),
};

const v1beta2Spec = obj(
  "BGPPeerSpec: one BGP session, set up from every selected node.",
  {
    ...common,
    localASN: int(
      "AS number used toward this peer instead of myASN: in the OPEN, in the AS_PATH of routes sent over eBGP (myASN is not added), and to decide iBGP or eBGP (like FRR's local-as ... no-prepend replace-as). A vipmesh extension.",
      { format: "int64", minimum: 1, maximum: 4294967295 },
    ),
    peerASN: asn("AS number expected from the remote end; exclusive with dynamicASN."),
    dynamicASN: str("Take the remote AS number from the peer: internal (must equal myASN) or external (must differ); exclusive with peerASN.", { enum: ["internal", "external"] }),
    peerAddress: ip("Address to dial; exclusive with interface."),
    interface: str("Node interface for an unnumbered session; exclusive with peerAddress.", { maxLength: 15 }),
    connectTime: durationField("How long BGP waits between connection attempts: whole seconds from 1s to 65535s.", [
      { rule: "duration(self).getSeconds() >= 1 && duration(self).getSeconds() <= 65535", message: "connectTime must be between 1s and 65535s" },
      { rule: "duration(self).getMilliseconds() % 1000 == 0", message: "connectTime must be a whole number of seconds" },
    ]),
    nodeSelectors: selectorList("Nodes that set up this session; empty means every node."),
    passwordSecret: obj(
      "Secret of type kubernetes.io/basic-auth holding the password under the key \"password\", in the namespace of vipmesh; exclusive with password.",
      { name: str("Secret name.", { maxLength: 253 }), namespace: str("Secret namespace.", { maxLength: 63 }) },
      { extra: { "x-kubernetes-map-type": "atomic" } },
    ),
    enableGracefulRestart: bool("BGP graceful restart (RFC 4724). Immutable: changing it would reset the session."),
    vrf: str("Host VRF whose interface the session runs over.", { maxLength: 15 }),
    disableMP: bool("Separate IPv4 and IPv6 into distinct sessions. Deprecated in favour of dualStackAddressFamily.", { default: false }),
    dualStackAddressFamily: bool("Exchange both IPv4 and IPv6 prefixes over this session.", { default: false }),
  },
  {
    required: ["myASN"],
    rules: [
      { rule: "!(has(self.peerASN) && self.peerASN != 0 && has(self.dynamicASN))", message: "peerASN and dynamicASN are mutually exclusive", fieldPath: ".dynamicASN" },
      { rule: "(has(self.peerASN) && self.peerASN != 0) || has(self.dynamicASN)", message: "one of peerASN or dynamicASN must be specified", fieldPath: ".peerASN" },
      { rule: `!(${set("peerAddress")} && ${set("interface")})`, message: "peerAddress and interface are mutually exclusive", fieldPath: ".interface" },
      { rule: `${set("peerAddress")} || ${set("interface")}`, message: "one of peerAddress or interface must be specified", fieldPath: ".peerAddress" },
      {
        rule: `!(${set("password")} && has(self.passwordSecret) && has(self.passwordSecret.name) && self.passwordSecret.name != '')`,
        message: "password and passwordSecret are mutually exclusive",
        fieldPath: ".passwordSecret",
      },
      { rule: "!(has(self.disableMP) && self.disableMP && has(self.dualStackAddressFamily) && self.dualStackAddressFamily)", message: "disableMP and dualStackAddressFamily are mutually exclusive", fieldPath: ".dualStackAddressFamily" },
      {
        rule: "(has(self.enableGracefulRestart) && self.enableGracefulRestart) == (has(oldSelf.enableGracefulRestart) && oldSelf.enableGracefulRestart)",
        message: "enableGracefulRestart cannot be changed after creation",
        fieldPath: ".enableGracefulRestart",
      },
      ibgpMultiHop(true),
      ...TIMER_RULES,
    ],
  },
);

// v1beta1 is MetalLB's older shape: the same fields with the same JSON names and meanings, a subset of v1beta2.
const v1beta1Spec = obj(
  "BGPPeerSpec (v1beta1): one BGP session; use v1beta2 for dynamicASN, interface, passwordSecret and the rest.",
  {
    ...common,
    peerASN: int("AS number expected from the remote end.", { format: "int64", minimum: 1, maximum: 4294967295 }),
    peerAddress: ip("Address to dial."),
    nodeSelectors: selectorList("Nodes that set up this session; empty means every node.", true),
  },
  { required: ["myASN", "peerASN", "peerAddress"], rules: [ibgpMultiHop(false), ...TIMER_RULES] },
);

const peerColumns = [
  { name: "Address", type: "string", jsonPath: ".spec.peerAddress" },
  { name: "ASN", type: "string", jsonPath: ".spec.peerASN" },
  { name: "BFD Profile", type: "string", jsonPath: ".spec.bfdProfile" },
  { name: "Multi Hops", type: "string", jsonPath: ".spec.ebgpMultiHop" },
];

export const bgpPeer = crd({
  kind: "BGPPeer",
  plural: "bgppeers",
  singular: "bgppeer",
  description: "a BGP session to a router.",
  versions: [
    { name: "v1beta1", storage: false, deprecated: "metallb.io/v1beta1 BGPPeer is deprecated; use metallb.io/v1beta2", spec: v1beta1Spec, status: obj("BGPPeerStatus (unused).", {}), columns: peerColumns },
    { name: "v1beta2", storage: true, spec: v1beta2Spec, status: obj("BGPPeerStatus (unused).", {}), columns: peerColumns },
  ],
});

const ms = (description: string, minimum: number, maximum: number): Schema => int(description, { format: "int32", minimum, maximum });

export const bfdProfile = crd({
  kind: "BFDProfile",
  plural: "bfdprofiles",
  singular: "bfdprofile",
  description: "settings of a BFD session that a BGPPeer may pair with its BGP session.",
  versions: [
    {
      name: "v1beta1",
      storage: true,
      spec: obj("BFDProfileSpec: BFD timers and modes.", {
        receiveInterval: ms("Minimum interval this system can receive control packets at, in ms (default 300).", 10, 60000),
        transmitInterval: ms("Minimum interval this system wants to send control packets at, less jitter, in ms (default 300).", 10, 60000),
        detectMultiplier: ms("Packets that may be lost before the session is down (default 3).", 2, 255),
        echoInterval: ms("Minimum echo receive interval this system can handle, in ms (default 50).", 10, 60000),
        echoMode: bool("Echo transmission mode; not supported on multi-hop sessions."),
        passiveMode: bool("Wait for the peer's control packets instead of starting the session."),
        minimumTtl: ms("Multi-hop sessions only: minimum expected TTL of incoming control packets.", 1, 254),
      }),
      status: obj("BFDProfileStatus (unused).", {}),
      columns: [
        { name: "Passive Mode", type: "boolean", jsonPath: ".spec.passiveMode" },
        { name: "Transmit Interval", type: "integer", jsonPath: ".spec.transmitInterval" },
        { name: "Receive Interval", type: "integer", jsonPath: ".spec.receiveInterval" },
        { name: "Multiplier", type: "integer", jsonPath: ".spec.detectMultiplier" },
      ],
    },
  ],
});

export const community = crd({
  kind: "Community",
  plural: "communities",
  singular: "community",
  description: "named aliases for BGP communities, usable in BGPAdvertisements.",
  versions: [
    {
      name: "v1beta1",
      storage: true,
      spec: obj("CommunitySpec: the aliases.", {
        communities: arr(
          "The aliases; a name may appear once.",
          obj(
            "An alias: a name and the community it stands for.",
            {
              name: str("The alias, used in place of the value in BGPAdvertisement.spec.communities.", { minLength: 1, maxLength: 64 }),
              value: str("The community: 65535:65282 or large:123:456:789.", { maxLength: 64 }, [
                ...COMMUNITY_VALUE_RULES,
                { rule: "size(self.split(':')) == 2 || size(self.split(':')) == 4", message: "must be a community like 65535:65282 or large:123:456:789" },
              ]),
            },
            { required: ["name", "value"] },
          ),
          { maxItems: 1024, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] },
        ),
      }),
      status: obj("CommunityStatus (unused).", {}),
    },
  ],
});
