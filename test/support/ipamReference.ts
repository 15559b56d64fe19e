import { selectorMatches } from "../../src/config/selectors.js";
import type { ClusterConfig, PoolConfig, ServiceConfig } from "../../src/config/types.js";
import { parseAddressBlock } from "../../src/net/cidr.js";
import { formatIp, parseIp, type Family } from "../../src/net/ip.js";

// A naive reference allocator for property tests: the same rules as src/projections/ipam, written again the
// slow and obvious way (every address probed from the start of its block, every holder found by a scan of
// all holdings, and after every single change the whole pass starts over), with no log, no rounds, no index.

type Facts = { key: string | null; backend: string; ports: string[] };
type Holding = { service: string; ip: string; family: Family; pool: string; facts: Facts };

const keyOf = (s: ServiceConfig): string => `${s.namespace}/${s.name}`;
const familyOf = (ip: string): Family => (ip.includes(":") ? 6 : 4);

function factsOf(s: ServiceConfig): Facts {
  const selector = Object.keys(s.selector).sort().map((k) => `${k}=${s.selector[k]}`).join(",");
  const ports = [...new Set(s.ports.map((p) => `${p.protocol}/${p.port}`))].sort();
  return { key: s.sharingKey, backend: s.externalTrafficPolicy === "Local" ? selector : "", ports };
}

function compatible(a: Facts, b: Facts): boolean {
  return a.key !== null && a.key === b.key && a.backend === b.backend && !a.ports.some((p) => b.ports.includes(p));
}

const sameFacts = (a: Facts, b: Facts): boolean => JSON.stringify(a) === JSON.stringify(b);

function isBuggy(ip: string): boolean {
  return familyOf(ip) === 4 && [0n, 255n].includes(parseIp(ip).value % 256n);
}

export class ReferenceAllocator {
  holdings: Holding[] = [];
  private config!: ClusterConfig;

  constructor(private readonly lbClass: string | null = null) {}

  converge(config: ClusterConfig): void {
    this.config = config;
    while (this.releaseOne());
    while (this.adoptOne());
    while (this.allocateOne());
  }

  allocations(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const h of this.holdings) (out[h.service] ??= []).push(h.ip);
    for (const list of Object.values(out)) list.sort((a, b) => familyOf(a) - familyOf(b));
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  // --- configuration questions ---

  private services(): ServiceConfig[] {
    return [...this.config.services].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
  }

  private find(key: string): ServiceConfig | undefined {
    return this.config.services.find((s) => keyOf(s) === key);
  }

  private poolOf(ip: string): PoolConfig | undefined {
    const p = parseIp(ip);
    return this.config.pools.find((pool) => pool.addresses.some((a) => {
      const r = parseAddressBlock(a);
      return r.family === p.family && p.value >= r.first && p.value <= r.last;
    }));
  }

  private admits(pool: PoolConfig, s: ServiceConfig): boolean {
    const sa = pool.serviceAllocation;
    if (!sa) return true;
    if (sa.namespaces.length > 0 || sa.namespaceSelectors.length > 0) {
      const ns = this.config.namespaces.find((n) => n.name === s.namespace);
      const bySelector = ns !== undefined && sa.namespaceSelectors.some((sel) => selectorMatches(sel, ns.labels));
      if (!sa.namespaces.includes(s.namespace) && !bySelector) return false;
    }
    return sa.serviceSelectors.length === 0 || sa.serviceSelectors.some((sel) => selectorMatches(sel, s.labels));
  }

  private wanted(s: ServiceConfig): Family[] {
    if (s.requestedIps.length > 0) return s.ipFamilies.filter((f) => s.requestedIps.some((ip) => familyOf(ip) === f));
    return s.ipFamilyPolicy === "SingleStack" ? [s.ipFamilies[0] ?? 4] : s.ipFamilies;
  }

  private validRequest(s: ServiceConfig): boolean {
    const r = s.requestedIps;
    if (r.length === 0) return true;
    if (r.length > 2 || (r.length === 2 && familyOf(r[0] ?? "") === familyOf(r[1] ?? ""))) return false;
    if (r.some((ip) => !s.ipFamilies.includes(familyOf(ip)))) return false;
    return !(s.ipFamilyPolicy === "RequireDualStack" && r.length !== 2);
  }

  private held(key: string): Holding[] {
    return this.holdings.filter((h) => h.service === key);
  }

  /** May `s` use `ip` given who holds it? (free, or every holder compatible by recorded and current facts) */
  private usable(ip: string, s: ServiceConfig): boolean {
    const facts = factsOf(s);
    return this.holdings.filter((h) => h.ip === ip && h.service !== keyOf(s)).every((h) => {
      const current = this.find(h.service);
      return compatible(h.facts, facts) && (current === undefined || compatible(factsOf(current), facts));
    });
  }

  /** The pool a named IP would come from for `s`, or undefined if the rules forbid it. */
  private namedPool(ip: string, s: ServiceConfig): PoolConfig | undefined {
    const pool = this.poolOf(ip);
    if (!pool || (pool.avoidBuggyIPs && isBuggy(ip)) || !this.admits(pool, s)) return undefined;
    if (s.requestedPool !== null && s.requestedPool !== pool.name) return undefined;
    return pool;
  }

  // --- releases ---

  private verdict(h: Holding): "keep" | "release" | Facts {
    const s = this.find(h.service);
    if (!s || s.loadBalancerClass !== this.lbClass || !s.ipFamilies.includes(h.family)) return "release";
    if (s.requestedIps.length > 0 && !s.requestedIps.includes(h.ip)) return "release";
    if (s.requestedPool !== null && h.pool !== s.requestedPool && this.poolOf(h.ip)?.name !== s.requestedPool) return "release";
    const facts = factsOf(s);
    if (sameFacts(facts, h.facts)) return "keep";
    const others = this.holdings.filter((o) => o.ip === h.ip && o.service !== h.service);
    const clash = others.some((o) => {
      const current = this.find(o.service);
      return !compatible(o.facts, facts) || (current !== undefined && !compatible(factsOf(current), facts));
    });
    return clash ? "release" : facts;
  }

  private releaseOne(): boolean {
    const present = new Set(this.config.services.map(keyOf));
    const order = [...this.holdings].sort((a, b) => {
      const ga = present.has(a.service) ? 0 : 1;
      const gb = present.has(b.service) ? 0 : 1;
      return ga - gb || (a.service < b.service ? -1 : a.service > b.service ? 1 : a.family - b.family);
    });
    for (const h of order) {
      const v = this.verdict(h);
      if (v === "keep") continue;
      if (v === "release") this.holdings = this.holdings.filter((x) => x !== h);
      else h.facts = v;
      return true;
    }
    return false;
  }

  // --- adoption ---

  private adoptOne(): boolean {
    for (const s of this.services()) {
      if (s.loadBalancerClass !== this.lbClass || !this.validRequest(s)) continue;
      const held = this.held(keyOf(s));
      for (const family of this.wanted(s)) {
        if (held.some((h) => h.family === family)) continue;
        const ip = s.statusIps.find((x) => familyOf(x) === family);
        if (ip === undefined || (s.requestedIps.length > 0 && !s.requestedIps.includes(ip))) continue;
        const pool = this.namedPool(ip, s);
        if (!pool || (held[0] && held[0].pool !== pool.name) || !this.usable(ip, s)) continue;
        this.holdings.push({ service: keyOf(s), ip, family, pool: pool.name, facts: factsOf(s) });
        return true;
      }
    }
    return false;
  }

  // --- new allocations ---

  private firstUsable(pool: PoolConfig, family: Family, s: ServiceConfig): string | undefined {
    for (const block of pool.addresses) {
      const r = parseAddressBlock(block);
      if (r.family !== family) continue;
      for (let v = r.first; v <= r.last; v++) {
        const ip = formatIp({ family, value: v });
        if (pool.avoidBuggyIPs && isBuggy(ip)) continue;
        if (this.usable(ip, s)) return ip;
      }
    }
    return undefined;
  }

  private fromPool(pool: PoolConfig, families: Family[], s: ServiceConfig): { ip: string; family: Family }[] | undefined {
    const found = families.flatMap((family) => {
      const ip = this.firstUsable(pool, family, s);
      return ip === undefined ? [] : [{ ip, family }];
    });
    if (found.length === families.length) return found;
    return found.length > 0 && s.ipFamilyPolicy === "PreferDualStack" ? found : undefined;
  }

  private best(pools: PoolConfig[], s: ServiceConfig): { pool: PoolConfig; picks: { ip: string; family: Family }[] } | undefined {
    const families = s.ipFamilyPolicy === "SingleStack" ? [s.ipFamilies[0] ?? 4] : s.ipFamilies;
    const partial: ({ pool: PoolConfig; picks: { ip: string; family: Family }[] } | undefined)[] = [undefined, undefined];
    for (const pool of pools) {
      const picks = families.flatMap((family) => {
        const ip = this.firstUsable(pool, family, s);
        return ip === undefined ? [] : [{ ip, family }];
      });
      if (picks.length === families.length) return { pool, picks };
      if (s.ipFamilyPolicy !== "PreferDualStack") continue;
      for (const [i, family] of families.entries()) {
        const pick = picks.find((p) => p.family === family);
        if (pick && !partial[i]) partial[i] = { pool, picks: [pick] };
      }
    }
    return partial[0] ?? partial[1];
  }

  private picksFor(s: ServiceConfig, missing: Family[]): { pool: PoolConfig; picks: { ip: string; family: Family }[] } | undefined {
    const held = this.held(keyOf(s));
    if (s.requestedIps.length > 0) {
      const pools = s.requestedIps.map((ip) => this.namedPool(ip, s));
      const pool = pools[0];
      if (!pool || pools.some((p) => p !== pool)) return undefined;
      const wantedIps = missing.map((f) => s.requestedIps.find((ip) => familyOf(ip) === f) ?? "");
      const ok = wantedIps.filter((ip) => this.usable(ip, s));
      if (ok.length < wantedIps.length && held.length === 0) return undefined;
      return { pool, picks: ok.map((ip) => ({ ip, family: familyOf(ip) })) };
    }
    if (held.length > 0) {
      const pool = this.config.pools.find((p) => p.name === held[0]?.pool);
      const picks = pool && this.admits(pool, s) ? this.fromPool(pool, missing, s) : undefined;
      return pool && picks ? { pool, picks } : undefined;
    }
    if (s.requestedPool !== null) {
      const pool = this.config.pools.find((p) => p.name === s.requestedPool);
      const families = s.ipFamilyPolicy === "SingleStack" ? [s.ipFamilies[0] ?? 4] : s.ipFamilies;
      const picks = pool && this.admits(pool, s) ? this.fromPool(pool, families, s) : undefined;
      return pool && picks ? { pool, picks } : undefined;
    }
    const prio = (p: PoolConfig): number => p.serviceAllocation?.priority || Number.MAX_SAFE_INTEGER;
    const byName = (a: PoolConfig, b: PoolConfig): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const pinned = this.config.pools.filter((p) => p.serviceAllocation && p.autoAssign && this.admits(p, s)).sort((a, b) => prio(a) - prio(b) || byName(a, b));
    const rest = this.config.pools.filter((p) => !p.serviceAllocation && p.autoAssign).sort(byName);
    return this.best(pinned, s) ?? this.best(rest, s);
  }

  private allocateOne(): boolean {
    for (const s of this.services()) {
      if (s.loadBalancerClass !== this.lbClass || !this.validRequest(s)) continue;
      const held = this.held(keyOf(s));
      const missing = this.wanted(s).filter((f) => !held.some((h) => h.family === f));
      if (missing.length === 0) continue;
      const choice = this.picksFor(s, missing);
      if (!choice || choice.picks.length === 0) continue;
      for (const p of choice.picks) this.holdings.push({ service: keyOf(s), ip: p.ip, family: p.family, pool: choice.pool.name, facts: factsOf(s) });
      return true;
    }
    return false;
  }
}
