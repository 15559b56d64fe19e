import { z } from "zod";
import { IP_FAMILY_POLICIES, SERVICE_PROTOCOLS } from "./types.js";

// The subset of MetalLB and core Kubernetes object shapes the file source reads. Unknown fields are ignored,
// as the API server would keep them, so MetalLB example manifests load unchanged.

const labels = z.record(z.string(), z.string()).default({});
const metadata = z.object({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
  labels,
  annotations: labels,
});

export const labelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).default({}),
  matchExpressions: z
    .array(
      z.object({
        key: z.string().min(1),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).default([]),
      }),
    )
    .default([]),
});

export const serviceAllocationSchema = z.object({
  priority: z.number().int().min(0).default(0),
  namespaces: z.array(z.string().min(1)).default([]),
  namespaceSelectors: z.array(labelSelectorSchema).default([]),
  serviceSelectors: z.array(labelSelectorSchema).default([]),
});

export const ipAddressPoolSchema = z.object({
  kind: z.literal("IPAddressPool"),
  metadata,
  spec: z.object({
    addresses: z.array(z.string()).min(1),
    autoAssign: z.boolean().default(true),
    avoidBuggyIPs: z.boolean().default(false),
    serviceAllocation: serviceAllocationSchema.optional(),
  }),
});

export const l2AdvertisementSchema = z.object({
  kind: z.literal("L2Advertisement"),
  metadata,
  spec: z
    .object({
      ipAddressPools: z.array(z.string()).default([]),
      ipAddressPoolSelectors: z.array(labelSelectorSchema).default([]),
      nodeSelectors: z.array(labelSelectorSchema).default([]),
      serviceSelectors: z.array(labelSelectorSchema).default([]),
      preferredNodeSelectors: z.array(z.object({ weight: z.number().int().min(1).max(100), preference: labelSelectorSchema })).default([]),
      interfaces: z.array(z.string()).default([]),
    })
    .default({ ipAddressPools: [], ipAddressPoolSelectors: [], nodeSelectors: [], serviceSelectors: [], preferredNodeSelectors: [], interfaces: [] }),
});

export const serviceSchema = z.object({
  kind: z.literal("Service"),
  metadata,
  spec: z.object({
    type: z.string().default("ClusterIP"),
    loadBalancerIP: z.string().optional(),
    loadBalancerClass: z.string().min(1).optional(),
    externalTrafficPolicy: z.enum(["Cluster", "Local"]).default("Cluster"),
    ipFamilies: z.array(z.enum(["IPv4", "IPv6"])).max(2).optional(),
    ipFamilyPolicy: z.enum(IP_FAMILY_POLICIES).optional(),
    ports: z
      .array(z.object({ port: z.number().int().min(1).max(65_535), protocol: z.enum(SERVICE_PROTOCOLS).default("TCP") }))
      .default([]),
    selector: z.record(z.string(), z.string()).default({}),
  }),
  status: z
    .object({ loadBalancer: z.object({ ingress: z.array(z.object({ ip: z.string().optional() })).default([]) }).optional() })
    .optional(),
});

export const endpointSliceSchema = z.object({
  kind: z.literal("EndpointSlice"),
  metadata,
  endpoints: z
    .array(
      z.object({
        nodeName: z.string().optional(),
        conditions: z.object({ ready: z.boolean().nullable().optional() }).default({}),
      }),
    )
    .default([]),
});

export const nodeSchema = z.object({
  kind: z.literal("Node"),
  metadata,
  status: z
    .object({ conditions: z.array(z.object({ type: z.string(), status: z.string() })).default([]) })
    .default({ conditions: [] }),
});

export const namespaceSchema = z.object({ kind: z.literal("Namespace"), metadata });
