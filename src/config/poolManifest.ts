import type { z } from "zod";
import { parseAddressBlock, rangesOverlap, type IpRange } from "../net/cidr.js";
import type { ipAddressPoolSchema } from "./manifestSchemas.js";
import { reservedOverlap } from "./reservedRanges.js";
import type { PoolConfig } from "./types.js";

// IPAddressPool manifests to PoolConfig. MetalLB forbids overlapping pools (and overlapping blocks within one):
// an address must belong to exactly one pool, or allocation and advertisement would be ambiguous.

type PoolManifest = z.infer<typeof ipAddressPoolSchema>;

export function toPoolConfig(pool: PoolManifest): PoolConfig {
  const sa = pool.spec.serviceAllocation;
  return {
    name: pool.metadata.name,
    addresses: pool.spec.addresses,
    autoAssign: pool.spec.autoAssign,
    avoidBuggyIPs: pool.spec.avoidBuggyIPs,
    labels: pool.metadata.labels,
    serviceAllocation: sa
      ? { priority: sa.priority, namespaces: sa.namespaces, namespaceSelectors: sa.namespaceSelectors, serviceSelectors: sa.serviceSelectors }
      : null,
  };
}

type Block = { pool: string; index: number; text: string; range: IpRange };

/** Every problem with the pools as a whole: bad or reserved blocks, duplicate names, overlaps within and between pools. */
export function poolProblems(pools: readonly PoolConfig[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const blocks: Block[] = [];
  for (const pool of pools) {
    if (seen.has(pool.name)) problems.push(`IPAddressPool/${pool.name}: metadata.name: defined more than once`);
    seen.add(pool.name);
    pool.addresses.forEach((text, index) => {
      try {
        const range = parseAddressBlock(text);
        const reserved = reservedOverlap(range);
        if (reserved !== null) problems.push(`IPAddressPool/${pool.name}: spec.addresses[${index}]: ${text} includes ${reserved}, which can never be a Service IP`);
        blocks.push({ pool: pool.name, index, text, range });
      } catch (err) {
        problems.push(`IPAddressPool/${pool.name}: spec.addresses[${index}]: ${(err as Error).message}`);
      }
    });
  }
  for (const [i, a] of blocks.entries()) {
    const clash = blocks.slice(0, i).find((b) => rangesOverlap(a.range, b.range));
    if (clash) problems.push(`IPAddressPool/${a.pool}: spec.addresses[${a.index}]: ${a.text} overlaps ${clash.text} of IPAddressPool/${clash.pool}`);
  }
  return problems;
}
