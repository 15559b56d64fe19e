import { z } from "zod";
import { CONFIG_OBJECT_KINDS } from "../config/configObjects.js";
import { bfdProfileV7, bgpAdvertisementV3, bgpPeerV6 } from "./bgpConfigSchemas.js";
import { configAppliedV2, serviceV2 } from "./configSchemas.js";

// Wire schemas of the per-object configuration events (design.md, "Configuration as per-object events"). Each object
// has the shape it has inside ConfigApplied v6, so both paths give the projection the same values.

const configShape = configAppliedV2.shape.config.shape;

const epochV1 = z.object({
  hash: z.string().min(1).max(256),
  after: z.number().int().nonnegative(),
  index: z.number().int().nonnegative(),
  count: z.number().int().positive(),
}).refine((e) => e.index < e.count, "index must be below count");

const itemV1 = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("pool"), value: configShape.pools.element }),
  z.object({ kind: z.literal("l2adv"), value: configShape.l2Advertisements.element }),
  z.object({ kind: z.literal("bgppeer"), value: bgpPeerV6 }),
  z.object({ kind: z.literal("bgpadv"), value: bgpAdvertisementV3 }),
  z.object({ kind: z.literal("bfdprofile"), value: bfdProfileV7 }),
  z.object({ kind: z.literal("service"), value: serviceV2 }),
  z.object({ kind: z.literal("node"), value: configShape.nodes.element }),
  z.object({ kind: z.literal("namespace"), value: configShape.namespaces.element }),
]);

const common = { source: z.string().min(1), name: z.string().min(1).max(512), revision: z.string().max(512), epoch: epochV1 };

export const configObjectChangedV1 = z.object({ ...common, item: itemV1 });
export const configObjectDeletedV1 = z.object({ ...common, kind: z.enum(CONFIG_OBJECT_KINDS) });
