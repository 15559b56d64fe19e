import type { ClusterConfig, ServiceConfig } from "../../config/types.js";
import type { ConfigApplied, EventMeta, IpAllocated, IpReleased } from "../../events/types.js";
import { sharingConflict } from "../ipam/sharing.js";
import { ipRecords, type IpamState } from "../ipam/state.js";
import { allocationWarnings } from "../ipam/status.js";
import { listing, refOf, violation, type EventRef, type Finding } from "./findings.js";

// Allocations: no IP held by two Services that may not share it; no allocation let go except by its Service's own
// edit or deletion (vipmesh has no operator command that releases, so that is every release); and the allocations a
// pool edit left outside their pools, listed once each.

type Config = ConfigApplied["data"] | null;
type Held = { config: Config; ref: EventRef };

const LISTED_WARNINGS = new Set(["outside-pools", "pool-disallows", "buggy-ip"]);

export class AllocationAudit {
  private readonly held = new Map<string, Held>();
  private readonly listed = new Set<string>();
  private readonly serviceText = new WeakMap<ClusterConfig, Map<string, string>>();

  allocated(event: IpAllocated, meta: EventMeta, config: Config): void {
    const key = `${event.data.ip} ${event.data.service}`;
    if (!this.held.has(key)) this.held.set(key, { config, ref: refOf(meta) });
  }

  released(event: IpReleased, meta: EventMeta, config: Config): Finding[] {
    const { ip, service, reason } = event.data;
    const key = `${ip} ${service}`;
    const held = this.held.get(key);
    this.held.delete(key);
    if (!held) return [];
    const then = this.describe(held.config, service);
    const now = this.describe(config, service);
    if (then === null || now === null || then !== now) return [];
    return [violation("allocation-moved", ip, `released by ${service} (${reason}), but ${service}'s configuration had not changed since the allocation and it was not deleted`, [held.ref, refOf(meta)])];
  }

  /** Allocations the configuration just applied leaves outside its pools (or its pool's rules), each listed once. */
  configApplied(meta: EventMeta, config: Config, ipam: IpamState): Finding[] {
    if (!config) return [];
    return allocationWarnings(config.config, ipam).flatMap((w) => {
      const key = `${w.ip}|${w.service}|${w.code}`;
      if (!LISTED_WARNINGS.has(w.code) || this.listed.has(key)) return [];
      this.listed.add(key);
      const allocation = this.held.get(`${w.ip} ${w.service}`)?.ref;
      return [listing("pool-left-outside", w.ip, `${w.service}: ${w.code}: ${w.detail}`, allocation ? [allocation, refOf(meta)] : [refOf(meta)])];
    });
  }

  /** Holders of one IP that may not share it (the projection refuses such claims, so any is a defect). */
  finish(ipam: IpamState): Finding[] {
    const findings: Finding[] = [];
    for (const [ip, record] of ipRecords(ipam)) {
      record.holders.forEach((a, i) => {
        for (const b of record.holders.slice(i + 1)) {
          const why = sharingConflict(a.sharing, b.sharing);
          if (why === null) continue;
          const refs = [a, b].map((h) => this.held.get(`${ip} ${h.service}`)?.ref).filter((r): r is EventRef => r !== undefined);
          findings.push(violation("ip-shared", ip, `held by ${a.service} and ${b.service}, which may not share it: ${why}`, refs));
        }
      });
    }
    return findings;
  }

  /** A Service's configuration as text, to tell whether it changed; null when the Service is not there. */
  private describe(config: Config, service: string): string | null {
    if (!config) return null;
    let texts = this.serviceText.get(config.config);
    if (!texts) {
      texts = new Map(config.config.services.map((s: ServiceConfig) => [`${s.namespace}/${s.name}`, JSON.stringify(s)]));
      this.serviceText.set(config.config, texts);
    }
    return texts.get(service) ?? null;
  }
}
