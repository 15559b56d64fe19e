import { z } from "zod";
import { dnsLabelSchema, labelKeySchema, labelValueSchema, objectNameSchema, uniqueList } from "./kubeNames.js";
import { IP_FAMILY_POLICIES, SERVICE_PROTOCOLS } from "./types.js";

// The subset of MetalLB and core Kubernetes object shapes the file source reads. Unknown fields are ignored, so
// MetalLB example manifests load unchanged (`vipmesh validate` warns about them). What the CRDs check at `kubectl
// apply` (names, label selectors, repeated entries, lengths) is checked here too: docs/validation.md.

const labels = z.record(z.string(), z.string()).default({});
export const metadata = z.object({
  name: objectNameSchema,
  namespace: z.string().min(1).optional(),
  labels,
  annotations: labels,
});

const requirementSchema = z
  .object({
    key: labelKeySchema,
    operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
    values: z.array(labelValueSchema).max(64).default([]),
  })
  .superRefine((r, ctx) => {
    if ((r.operator === "In" || r.operator === "NotIn") !== r.values.length > 0) {
      ctx.addIssue({ code: "custom", path: ["values"], message: "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist" });
    }
  });

export const labelSelectorSchema = z.object({
  matchLabels: z
    .record(z.string(), labelValueSchema)
    .superRefine((labels, ctx) => {
      const bad = Object.keys(labels).filter((k) => !labelKeySchema.safeParse(k).success);
      if (bad.length > 0) ctx.addIssue({ code: "custom", message: `every key must be a valid label key (an optional DNS prefix and '/', then at most 63 of [A-Za-z0-9-_.]); not ${bad.map((k) => JSON.stringify(k)).join(", ")}` });
    })
    .default({}),
  matchExpressions: z.array(requirementSchema).max(64).default([]),
});

export const selectors = z.array(labelSelectorSchema).max(64).default([]);
export const poolNames = uniqueList(z.string().max(253), 1024).default([]);

export const serviceAllocationSchema = z.object({
  priority: z.number().int().min(0).default(0),
  namespaces: uniqueList(dnsLabelSchema, 1024).default([]),
  namespaceSelectors: selectors,
  serviceSelectors: selectors,
});

export const ipAddressPoolSchema = z.object({
  kind: z.literal("IPAddressPool"),
  metadata,
  spec: z.object({
    addresses: uniqueList(z.string().max(100), 256, 1),
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
      ipAddressPools: poolNames,
      ipAddressPoolSelectors: selectors,
      nodeSelectors: selectors,
      serviceSelectors: selectors,
      preferredNodeSelectors: z.array(z.object({ weight: z.number().int().min(1).max(100), preference: labelSelectorSchema })).max(64).default([]),
      interfaces: uniqueList(z.string().min(1).max(15), 256).default([]),
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
