import { z } from "zod";
import { canonicalIpText } from "./configSchemas.js";
import { ALLOCATION_REASONS, RELEASE_REASONS } from "./types.js";

// Wire schemas of the allocation claims. A published version is never edited: add a new one and an upcaster.

const serviceRef = z.string().regex(/^[^/\s]+\/[^/\s]+$/, "must be namespace/name");

const evidenceV1 = z.object({
  allocator: z.string(),
  configHash: z.string().nullable(),
  observedSeq: z.number().int().nonnegative(),
});

export const ipAllocatedV1 = z.object({
  ip: canonicalIpText,
  service: serviceRef,
  pool: z.string().nullable(),
  reason: z.enum(ALLOCATION_REASONS),
  sharing: z.object({
    key: z.string().min(1).nullable(),
    backendKey: z.string(),
    ports: z.array(z.string().regex(/^(TCP|UDP|SCTP)\/\d{1,5}$/)).max(1_000),
  }),
  lbClass: z.string().nullable(),
  evidence: evidenceV1,
});

export const ipReleasedV1 = z.object({
  ip: canonicalIpText,
  service: serviceRef,
  reason: z.enum(RELEASE_REASONS),
  detail: z.string(),
  evidence: evidenceV1,
});
