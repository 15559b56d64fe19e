import { z } from "zod";
import { canonicalIp } from "../net/ip.js";
import { dampeningProblems } from "../protocols/bfd/dampening.js";
import { selector } from "./schemas.js";

// The BGP part of ConfigApplied v3: BGPPeers and BGPAdvertisements with Community aliases already resolved.

const isCanonical = (text: string): boolean => {
  try {
    return canonicalIp(text) === text;
  } catch {
    return false;
  }
};
const canonicalIpText = z.string().refine(isCanonical, "must be an IP address in canonical form");
const u32 = z.number().int().min(0).max(4_294_967_295);
const ms = z.number().nonnegative().nullable();

export const bgpPeerV3 = z.object({
  name: z.string().min(1),
  myASN: u32.min(1),
  peerASN: u32.nullable(),
  dynamicASN: z.enum(["internal", "external"]).nullable(),
  peerAddress: canonicalIpText,
  sourceAddress: canonicalIpText.nullable(),
  peerPort: z.number().int().min(1).max(65_535),
  routerID: canonicalIpText.nullable(),
  holdTimeMs: ms,
  keepaliveTimeMs: ms,
  connectTimeMs: ms,
  password: z.string().max(80).nullable(),
  ebgpMultiHop: z.boolean(),
  nodeSelectors: z.array(selector),
  enableGracefulRestart: z.boolean(),
  dualStackAddressFamily: z.boolean(),
  vrf: z.string().nullable(),
});

// v4: a peer may carry localASN (a vipmesh extension: the ASN used toward that peer instead of myASN).
export const bgpPeerV4 = bgpPeerV3.extend({ localASN: u32.min(1).optional() });

// v5: a peer may name a BFDProfile, and the profiles peers name travel beside them.
export const bgpPeerV5 = bgpPeerV4.extend({ bfdProfile: z.string().min(1).max(253).optional() });

// v6: the password is a reference and the SHA-256 of its value, never the value (config/bgpPassword.ts).
const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, "must be a SHA-256 in hex");
const refName = z.string().min(1).max(253);
export const bgpPasswordRefV6 = z.discriminatedUnion("from", [
  z.object({ from: z.literal("secret"), namespace: refName.nullable(), name: refName, key: z.string().min(1).max(253), sha256: sha256Hex }).strict(),
  z.object({ from: z.literal("peer"), namespace: refName.nullable(), name: refName, sha256: sha256Hex }).strict(),
]);
export const bgpPeerV6 = bgpPeerV5.extend({ password: bgpPasswordRefV6.nullable() });

const bfdInterval = z.number().int().min(10).max(60_000).optional();
export const bfdProfileV5 = z.object({
  name: z.string().min(1),
  receiveInterval: bfdInterval,
  transmitInterval: bfdInterval,
  detectMultiplier: z.number().int().min(2).max(255).optional(),
  echoInterval: bfdInterval,
  echoMode: z.boolean(),
  passiveMode: z.boolean(),
  minimumTtl: z.number().int().min(1).max(254).optional(),
});

// v7: a profile may carry flap dampening (vipmesh's annotations on the BFDProfile), every value filled in.
const count = z.number().int().positive();
export const bfdDampeningV7 = z
  .object({ halfLifeMs: count, penalty: count, suppressThreshold: count, reuseThreshold: count, maxSuppressMs: count })
  .strict()
  .superRefine((d, ctx) => {
    for (const p of dampeningProblems(d)) ctx.addIssue({ code: "custom", path: [p.field], message: p.reason });
  });
export const bfdProfileV7 = bfdProfileV5.extend({ dampening: bfdDampeningV7.optional() });

export const bgpAdvertisementV3 = z.object({
  name: z.string().min(1),
  aggregationLength: z.number().int().min(1).max(32),
  aggregationLengthV6: z.number().int().min(1).max(128),
  localPref: u32.nullable(),
  communities: z.array(z.string().regex(/^\d{1,5}:\d{1,5}$/)),
  largeCommunities: z.array(z.string().regex(/^\d{1,10}:\d{1,10}:\d{1,10}$/)),
  peers: z.array(z.string()),
  nodeSelectors: z.array(selector),
  ipAddressPools: z.array(z.string()),
  ipAddressPoolSelectors: z.array(selector),
  serviceSelectors: z.array(selector),
});

/** Absent in configurations without BGP objects (so their hash and shape stay what v2 had). */
export const bgpConfigV3 = z.object({ peers: z.array(bgpPeerV3), advertisements: z.array(bgpAdvertisementV3) }).optional();
export const bgpConfigV4 = z.object({ peers: z.array(bgpPeerV4), advertisements: z.array(bgpAdvertisementV3) }).optional();
const namesKnownProfiles = (bgp: { peers: { bfdProfile?: string | undefined }[]; bfdProfiles?: { name: string }[] | undefined }): boolean =>
  bgp.peers.every((p) => p.bfdProfile === undefined || bgp.bfdProfiles?.some((b) => b.name === p.bfdProfile));
export const bgpConfigV5 = z
  .object({ peers: z.array(bgpPeerV5), advertisements: z.array(bgpAdvertisementV3), bfdProfiles: z.array(bfdProfileV5).optional() })
  .refine(namesKnownProfiles, "every bfdProfile a peer names is in bfdProfiles")
  .optional();
export const bgpConfigV6 = z
  .object({ peers: z.array(bgpPeerV6), advertisements: z.array(bgpAdvertisementV3), bfdProfiles: z.array(bfdProfileV5).optional() })
  .refine(namesKnownProfiles, "every bfdProfile a peer names is in bfdProfiles")
  .optional();
export const bgpConfigV7 = z
  .object({ peers: z.array(bgpPeerV6), advertisements: z.array(bgpAdvertisementV3), bfdProfiles: z.array(bfdProfileV7).optional() })
  .refine(namesKnownProfiles, "every bfdProfile a peer names is in bfdProfiles")
  .optional();
