import { z } from "zod";
import { objectNameSchema, uniqueList } from "./kubeNames.js";
import { poolNames, selectors } from "./manifestSchemas.js";

// BGPPeer (metallb.io/v1beta2, v1beta1 reads the same), BGPAdvertisement, Community and Secret as the file source
// reads them. Field names are the CRDs' (src/kube/crds/bgp.ts, pools.ts); cross-field rules live in bgpManifest.ts.

const labels = z.record(z.string(), z.string()).default({});
const metadata = z.object({ name: objectNameSchema, namespace: z.string().min(1).optional(), labels });
const asn = z.number().int().min(0).max(4_294_967_295);
const duration = z.string().max(64);

export const bgpPeerSchema = z.object({
  kind: z.literal("BGPPeer"),
  metadata,
  spec: z.object({
    myASN: asn.min(1),
    // A vipmesh extension (not in MetalLB's BGPPeer): the ASN used toward this peer instead of myASN.
    localASN: asn.min(1).optional(),
    peerASN: asn.optional(),
    dynamicASN: z.enum(["internal", "external"]).optional(),
    peerAddress: z.string().min(1).optional(),
    // Unnumbered sessions (MetalLB's interface) are not supported; bgpManifest.ts says so.
    interface: z.string().max(15).optional(),
    sourceAddress: z.string().min(1).optional(),
    peerPort: z.number().int().min(1).max(16_384).default(179),
    routerID: z.string().min(1).optional(),
    holdTime: duration.optional(),
    keepaliveTime: duration.optional(),
    connectTime: duration.optional(),
    password: z.string().max(80).optional(),
    passwordSecret: z.object({ name: z.string().min(1), namespace: z.string().min(1).optional() }).optional(),
    ebgpMultiHop: z.boolean().default(false),
    nodeSelectors: selectors,
    enableGracefulRestart: z.boolean().default(false),
    disableMP: z.boolean().default(false),
    dualStackAddressFamily: z.boolean().default(false),
    vrf: z.string().max(15).optional(),
    bfdProfile: z.string().max(253).optional(), // "" means none, as in MetalLB
  }),
});

export const bgpAdvertisementSchema = z.object({
  kind: z.literal("BGPAdvertisement"),
  metadata,
  spec: z
    .object({
      aggregationLength: z.number().int().min(1).max(32).default(32),
      aggregationLengthV6: z.number().int().min(1).max(128).default(128),
      localPref: z.number().int().min(0).max(4_294_967_295).optional(),
      communities: uniqueList(z.string().min(1).max(64), 256).default([]),
      peers: uniqueList(z.string().min(1).max(253), 1024).default([]),
      nodeSelectors: selectors,
      ipAddressPools: poolNames,
      ipAddressPoolSelectors: selectors,
      serviceSelectors: selectors,
    })
    .prefault({}),
});

export const communitySchema = z.object({
  kind: z.literal("Community"),
  metadata,
  spec: z.object({ communities: z.array(z.object({ name: z.string().min(1).max(64), value: z.string().min(1) })).default([]) }).prefault({}),
});

export const secretSchema = z.object({
  kind: z.literal("Secret"),
  metadata,
  type: z.string().optional(),
  data: z.record(z.string(), z.string()).default({}),
  stringData: z.record(z.string(), z.string()).default({}),
});

export type BgpPeerManifest = z.infer<typeof bgpPeerSchema>;
export type BgpAdvertisementManifest = z.infer<typeof bgpAdvertisementSchema>;
export type CommunityManifest = z.infer<typeof communitySchema>;
export type SecretManifest = z.infer<typeof secretSchema>;
