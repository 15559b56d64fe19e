import type { SharingFacts } from "../../events/types.js";
import type { IpRange } from "../../net/cidr.js";
import { formatIp, parseIp, type Family } from "../../net/ip.js";
import { isBuggyIp, type CompiledPool, type ConfigIndex } from "./configIndex.js";
import type { IpAction } from "./plan.js";
import { canShare, sharingConflict, sharingFacts } from "./sharing.js";
import { ipRecord, serviceIndex, type IpamState } from "./state.js";
import { lowerBound, type UsedIndex } from "./usedIndex.js";

// One planning round: the decisions taken so far in it and the questions they answer ("is this IP free for
// that Service?"). A round makes at most one claim per IP subject, because a second claim would have to expect
// a sequence the first has not produced yet; a Service that could share an IP claimed earlier in the same
// round therefore waits for the next round, and so does everyone after it (sequential MetalLB order).

export type Availability =
  | { kind: "free" }
  | { kind: "shareable" }
  | { kind: "wait" }
  | { kind: "taken"; by: string; why: string };

type PlannedUse = { service: string; facts: SharingFacts };

export class Round {
  readonly actions: IpAction[] = [];
  /** Set when a Service had to wait: nothing after it is planned in this round. */
  waiting = false;
  private readonly planned = new Map<string, PlannedUse>();
  private readonly plannedValues: Record<Family, Set<bigint>> = { 4: new Set(), 6: new Set() };
  private readonly cursors = new Map<string, bigint>();

  private synced = false;

  constructor(
    readonly ipam: IpamState,
    readonly cfg: ConfigIndex,
    private readonly used: UsedIndex,
  ) {}

  /** Held addresses of a family, sorted; the index is only brought up to date when a search needs it. */
  private held(family: Family): readonly bigint[] {
    if (!this.synced) this.used.sync(this.ipam);
    this.synced = true;
    return this.used.values(family);
  }

  /** The IPs a Service holds on the log (before this round's claims). */
  heldBy(service: string): readonly string[] {
    return serviceIndex(this.ipam).get(service) ?? [];
  }

  /** Any claim on this IP's subject in this round (allocation, release or refresh). */
  touched(ip: string): boolean {
    return this.planned.has(ip);
  }

  add(action: IpAction, facts: SharingFacts): void {
    const { family, value } = parseIp(action.ip);
    this.actions.push(action);
    this.planned.set(action.ip, { service: action.service, facts });
    this.plannedValues[family].add(value);
  }

  /** What the next claim on this IP's subject must expect. */
  subjectSeq(ip: string): number {
    return ipRecord(this.ipam, ip)?.subjectSeq ?? 0;
  }

  /** Whether `service` (with `facts`) may take `ip` now, counting holders' recorded and current sharing facts. */
  availability(ip: string, service: string, facts: SharingFacts): Availability {
    const holders = ipRecord(this.ipam, ip)?.holders ?? [];
    for (const h of holders) {
      const current = this.cfg.byKey.get(h.service);
      const why = sharingConflict(h.sharing, facts) ?? (current ? sharingConflict(sharingFacts(current), facts) : null);
      if (why !== null && h.service !== service) return { kind: "taken", by: h.service, why };
    }
    const planned = this.planned.get(ip);
    if (planned) {
      return canShare(planned.facts, facts) ? { kind: "wait" } : { kind: "taken", by: planned.service, why: "claimed in this round" };
    }
    return holders.length === 0 ? { kind: "free" } : { kind: "shareable" };
  }

  /** The first address of the block that nobody holds or claims (MetalLB's order: ascending), or null. */
  firstFree(pool: CompiledPool, rangeIndex: number): bigint | null {
    const range = pool.ranges[rangeIndex];
    if (!range) return null;
    const key = `${pool.name}#${rangeIndex}`;
    const held = this.held(range.family);
    const planned = this.plannedValues[range.family];
    let v = this.cursors.get(key) ?? range.first;
    let i = lowerBound(held, v);
    while (v <= range.last) {
      if (i < held.length && held[i] === v) {
        v++;
        i++;
      } else if (planned.has(v) || (pool.config.avoidBuggyIPs && isBuggyIp(range.family, v))) {
        v++;
      } else {
        this.cursors.set(key, v);
        return v;
      }
    }
    this.cursors.set(key, v);
    return null;
  }

  /**
   * For a Service with a sharing key: the first address below `limit` that it could share, or a wait when the
   * first such address is one claimed earlier in this round.
   */
  firstShared(pool: CompiledPool, range: IpRange, limit: bigint, service: string, facts: SharingFacts): { value: bigint; wait: boolean } | null {
    const held = this.held(range.family);
    const candidates: bigint[] = [];
    for (let i = lowerBound(held, range.first); i < held.length && (held[i] ?? limit) < limit; i++) candidates.push(held[i] ?? 0n);
    for (const v of this.plannedValues[range.family]) if (v >= range.first && v < limit) candidates.push(v);
    candidates.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const value of candidates) {
      if (pool.config.avoidBuggyIPs && isBuggyIp(range.family, value)) continue;
      const a = this.availability(formatIp({ family: range.family, value }), service, facts);
      if (a.kind === "shareable" || a.kind === "wait") return { value, wait: a.kind === "wait" };
    }
    return null;
  }
}
