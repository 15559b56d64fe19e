import { parseIp, type Family } from "../../net/ip.js";
import type { IpamState, IpRecord } from "./state.js";

// The held addresses of each family as sorted bigints, so "the first free address of a block" is a binary
// search and a short walk instead of a probe per address. Kept in step with the projection by diffing the
// immutable buckets of `ips` (unchanged buckets and records keep their identity), so a big cluster pays per
// change, not per plan.

type Ips = IpamState["ips"];

export function lowerBound(values: readonly bigint[], target: bigint): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((values[mid] ?? 0n) < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const isHeld = (r: IpRecord | undefined): boolean => r !== undefined && r.holders.length > 0;

export class UsedIndex {
  private source: Ips | null = null;
  private held: Record<Family, bigint[]> = { 4: [], 6: [] };

  values(family: Family): readonly bigint[] {
    return this.held[family];
  }

  /**
   * Brings the index in line with the projection. States must be immutable snapshots (what applyLogBatch or
   * LogReplayer.result() return, frozen or not): the diff trusts that a bucket or record that kept its identity
   * kept its content.
   */
  sync(ipam: IpamState): this {
    const ips = ipam.ips;
    if (ips === this.source) return this;
    if (this.source === null) this.rebuild(ips);
    else this.patch(this.source, ips);
    this.source = ips;
    return this;
  }

  private rebuild(ips: Ips): void {
    const held: Record<Family, bigint[]> = { 4: [], 6: [] };
    for (const bucket of Object.values(ips)) {
      for (const ip in bucket) {
        if (!isHeld(bucket[ip])) continue;
        const parsed = parseIp(ip);
        held[parsed.family].push(parsed.value);
      }
    }
    for (const f of [4, 6] as const) held[f].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.held = held;
  }

  private patch(before: Ips, after: Ips): void {
    for (const key in after) {
      const bucket = after[key] ?? {};
      if (bucket !== before[key]) this.patchBucket(before[key] ?? {}, bucket);
    }
  }

  private patchBucket(before: Readonly<Record<string, IpRecord>>, after: Readonly<Record<string, IpRecord>>): void {
    for (const ip in after) {
      const now = after[ip];
      const was = before[ip];
      if (now === was || isHeld(now) === isHeld(was)) continue;
      const { family, value } = parseIp(ip);
      const list = this.held[family];
      const at = lowerBound(list, value);
      if (isHeld(now)) {
        if (list[at] !== value) list.splice(at, 0, value);
      } else if (list[at] === value) {
        list.splice(at, 1);
      }
    }
  }
}
