import { z } from "zod";
import { IP_FAMILY_POLICIES, SERVICE_PROTOCOLS } from "../config/types.js";
import { parseAddressBlock } from "../net/cidr.js";
import { canonicalIp } from "../net/ip.js";
import { passwordSha256 } from "../config/bgpPassword.js";
import type { BgpPasswordRef } from "../config/types.js";
import { bgpConfigV3, bgpConfigV4, bgpConfigV5, bgpConfigV6, bgpConfigV7 } from "./bgpConfigSchemas.js";
import { labelMap, selector } from "./schemas.js";

// ConfigApplied v2: Services carry requests (IPs, pool, sharing, families, ports) instead of fixed VIPs, pools carry
// serviceAllocation, and Namespaces (labels) arrive for namespaceSelectors. v1 stays readable (upcast.ts).

const isCanonical = (text: string): boolean => {
  try {
    return canonicalIp(text) === text;
  } catch {
    return false;
  }
};
const isBlock = (text: string): boolean => {
  try {
    parseAddressBlock(text);
    return true;
  } catch {
    return false;
  }
};

export const canonicalIpText = z.string().refine(isCanonical, "must be an IP address in canonical form");
const addressBlock = z.string().refine(isBlock, "must be a CIDR or FIRST-LAST range");

const serviceAllocationV2 = z.object({
  priority: z.number().int().nonnegative(),
  namespaces: z.array(z.string()),
  namespaceSelectors: z.array(selector),
  serviceSelectors: z.array(selector),
});

export const serviceV2 = z.object({
  namespace: z.string().min(1),
  name: z.string().min(1),
  labels: labelMap,
  requestedIps: z.array(canonicalIpText),
  requestedPool: z.string().nullable(),
  sharingKey: z.string().min(1).nullable(),
  loadBalancerClass: z.string().nullable(),
  ipFamilyPolicy: z.enum(IP_FAMILY_POLICIES),
  ipFamilies: z.array(z.union([z.literal(4), z.literal(6)])).min(1).max(2),
  ports: z.array(z.object({ port: z.number().int().min(1).max(65_535), protocol: z.enum(SERVICE_PROTOCOLS) })),
  selector: labelMap,
  externalTrafficPolicy: z.enum(["Cluster", "Local"]),
  statusIps: z.array(canonicalIpText),
  readyEndpointNodes: z.array(z.string()),
});

export const configAppliedV2 = z.object({
  source: z.string().min(1),
  hash: z.string().min(1),
  config: z.object({
    pools: z.array(
      z.object({
        name: z.string().min(1),
        addresses: z.array(addressBlock),
        autoAssign: z.boolean(),
        avoidBuggyIPs: z.boolean(),
        labels: labelMap,
        serviceAllocation: serviceAllocationV2.nullable(),
      }),
    ),
    l2Advertisements: z.array(
      z.object({
        name: z.string(),
        ipAddressPools: z.array(z.string()),
        ipAddressPoolSelectors: z.array(selector),
        nodeSelectors: z.array(selector),
        // serviceSelectors and preferredNodeSelectors came later; without them an advertisement selected every
        // Service and preferred no node.
        serviceSelectors: z.array(selector).default([]),
        preferredNodeSelectors: z.array(z.object({ weight: z.number().int().min(1).max(100), preference: selector })).default([]),
        interfaces: z.array(z.string()),
      }),
    ),
    services: z.array(serviceV2),
    // ready/networkUnavailable came later; configurations without them meant a ready node with a working network.
    nodes: z.array(z.object({ name: z.string(), labels: labelMap, ready: z.boolean().default(true), networkUnavailable: z.boolean().default(false) })),
    namespaces: z.array(z.object({ name: z.string(), labels: labelMap })),
  }),
});

// ConfigApplied v3: v2 plus `bgp` (BGPPeers and BGPAdvertisements). A v2 payload is a v3 one without BGP.
export const configAppliedV3 = configAppliedV2.extend({ config: configAppliedV2.shape.config.extend({ bgp: bgpConfigV3 }) });

// ConfigApplied v4: v3 whose BGPPeers may carry localASN. Written only when some peer has one, so a cluster that does
// not use it stays readable by v3 readers during an upgrade; a v3 reader skips a v4 configuration (unknown version)
// instead of silently dropping localASN and opening sessions with the wrong ASN.
export const configAppliedV4 = configAppliedV2.extend({ config: configAppliedV2.shape.config.extend({ bgp: bgpConfigV4 }) });

// ConfigApplied v5: v4 whose BGPPeers may name a BFDProfile, with the named profiles in `bgp.bfdProfiles`. Written only
// when some peer names one, for the same reason as v4: a v4 reader skips it rather than running BGP without the BFD
// the operator asked for. Configurations without BFD are written as before, byte for byte.
export const configAppliedV5 = configAppliedV2.extend({ config: configAppliedV2.shape.config.extend({ bgp: bgpConfigV5 }) });

// ConfigApplied v6: v5 whose BGPPeer passwords are references with the SHA-256 of the value (never the value).
// Written when some peer has a password; v3-v5 payloads carried the value itself, and decoding them keeps only a
// reference to the peer and the value's hash (legacyPasswordRefs), so an old value is never copied onward.
export const configAppliedV6 = configAppliedV2.extend({ config: configAppliedV2.shape.config.extend({ bgp: bgpConfigV6 }) });

// ConfigApplied v7: v6 whose BFD profiles may carry flap dampening. Written only when one does: a v6 reader skips
// it rather than run the profile's sessions undamped.
export const configAppliedV7 = configAppliedV2.extend({ config: configAppliedV2.shape.config.extend({ bgp: bgpConfigV7 }) });

type ConfigAppliedData = z.infer<typeof configAppliedV2> & { config: { bgp?: NonNullable<z.infer<typeof bgpConfigV7>> } };
type LegacyData = z.infer<typeof configAppliedV5>;

/** A v3, v4 or v5 payload as the domain type: `bgp` present only when the configuration has BGP objects. */
export function parseConfigAppliedV3(d: unknown): ConfigAppliedData {
  return withoutEmptyBgp(legacyPasswordRefs(configAppliedV3.parse(d)));
}

export function parseConfigAppliedV4(d: unknown): ConfigAppliedData {
  return withoutEmptyBgp(legacyPasswordRefs(configAppliedV4.parse(d)));
}

export function parseConfigAppliedV5(d: unknown): ConfigAppliedData {
  return withoutEmptyBgp(legacyPasswordRefs(configAppliedV5.parse(d)));
}

export function parseConfigAppliedV6(d: unknown): ConfigAppliedData {
  return withoutEmptyBgp(configAppliedV6.parse(d));
}

export function parseConfigAppliedV7(d: unknown): ConfigAppliedData {
  return withoutEmptyBgp(configAppliedV7.parse(d));
}

/** An old payload's password value becomes a reference to its BGPPeer and the value's hash; the value is dropped. */
function legacyPasswordRefs(parsed: LegacyData): z.infer<typeof configAppliedV6> {
  const bgp = parsed.config.bgp;
  if (bgp === undefined) return { ...parsed, config: { ...parsed.config, bgp: undefined } };
  const peers = bgp.peers.map((p) => {
    const password: BgpPasswordRef | null = p.password === null ? null : { from: "peer", namespace: null, name: p.name, sha256: passwordSha256(p.password) };
    return { ...p, password };
  });
  return { ...parsed, config: { ...parsed.config, bgp: { ...bgp, peers } } };
}

function withoutEmptyBgp(parsed: z.infer<typeof configAppliedV7>): ConfigAppliedData {
  const { bgp, ...config } = parsed.config;
  return { ...parsed, config: bgp === undefined ? config : { ...config, bgp } };
}

/**
 * The version a configuration is written with: the oldest that holds it (7 with BFD dampening, 6 with a password
 * reference, 5 with a BFDProfile, 4 with localASN). A v5 reader skips a v6 configuration rather than open sessions
 * without their MD5 key.
 */
export function configAppliedVersion(config: {
  bgp?: { peers: readonly { localASN?: number; bfdProfile?: string; password: unknown }[]; bfdProfiles?: readonly { dampening?: unknown }[] };
}): 3 | 4 | 5 | 6 | 7 {
  const peers = config.bgp?.peers ?? [];
  if (config.bgp?.bfdProfiles?.some((p) => p.dampening !== undefined)) return 7;
  if (peers.some((p) => p.password !== null)) return 6;
  if (peers.some((p) => p.bfdProfile !== undefined)) return 5;
  return peers.some((p) => p.localASN !== undefined) ? 4 : 3;
}
