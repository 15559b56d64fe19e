import { current, isDraft, type Draft } from "immer";
import { applyChanges, canonicalConfig, type ConfigChange } from "../config/configObjects.js";
import { configRuleProblems } from "../config/configRules.js";
import type { ClusterConfig } from "../config/types.js";
import type { ConfigApplied, ConfigObjectChanged, ConfigObjectDeleted, EventMeta } from "../events/types.js";
import type { Refusal } from "./eventRules.js";

// Each configuration source's objects, built from per-object events (design.md, "Configuration as per-object
// events"). A change spanning several objects is an epoch: its objects are staged and applied together when the last
// one arrives, in order, right after its predecessors on the source's chain, so no reader sees half of it. Pure.

/** An epoch whose objects have been staged but not yet applied. */
export type PendingEpoch = { hash: string; after: number; count: number; revision: string; changes: ConfigChange[]; lastSeq: number };

export type ConfigSourceState = {
  /** Sequence of the last message on the source's chain (`vipmesh.ev.cfg.<source>.>`), refused ones included: what the next publication expects. */
  chainSeq: number;
  /** Hash of the last configuration applied (an epoch's, or a ConfigApplied's). */
  hash: string | null;
  /** The source's objects as last applied. */
  config: ClusterConfig;
  /** False while `config` is a ConfigApplied's as published (arrays in the publisher's order), until the first epoch sorts it. */
  sorted: boolean;
  pending: PendingEpoch | null;
  /** Epochs started and never finished (their publisher stopped, or a message broke them). */
  abandonedEpochs: number;
};

const emptySource = (): ConfigSourceState => ({
  chainSeq: 0,
  hash: null,
  config: { pools: [], l2Advertisements: [], services: [], nodes: [], namespaces: [] },
  sorted: true,
  pending: null,
  abandonedEpochs: 0,
});

type Sources = Record<string, ConfigSourceState>;
type Applied = ConfigApplied["data"];

const plain = <T>(value: T): T => (isDraft(value) ? (current(value as Draft<T>) as T) : value);

/** A ConfigApplied (old logs): the source's whole set of objects, replaced. */
export function applyWholeConfig(sources: Draft<Sources>, data: Applied): void {
  const source = (sources[data.source] ??= emptySource());
  source.config = data.config as Draft<ClusterConfig>;
  source.hash = data.hash;
  source.sorted = false;
}

/** Any message on a source's chain, even one refused, moves the sequence the next publication must expect. */
export function noteConfigChainMessage(sources: Draft<Sources>, source: string, seq: number): void {
  (sources[source] ??= emptySource()).chainSeq = seq;
}

const broken = (detail: string): Refusal => ({ reason: "config-epoch-broken", detail });

function changeOf(event: ConfigObjectChanged | ConfigObjectDeleted): ConfigChange {
  return event.type === "ConfigObjectChanged" ? { kind: event.data.item.kind, name: event.data.name, item: event.data.item } : { kind: event.data.kind, name: event.data.name, item: null };
}

/** Stages the object in its epoch (applying the epoch when it is the last); a refusal when it cannot stand. */
export function applyConfigObject(sources: Draft<Sources>, event: ConfigObjectChanged | ConfigObjectDeleted, meta: EventMeta): { applied: Applied | null; refusal: Refusal | null } {
  const source = (sources[event.data.source] ??= emptySource());
  const previous = source.chainSeq;
  source.chainSeq = meta.seq;
  const { epoch } = event.data;
  const what = `${changeOf(event).kind}/${event.data.name}`;
  if (epoch.index === 0) {
    if (source.pending !== null) source.abandonedEpochs++;
    source.pending = null;
    if (epoch.after !== previous) return { applied: null, refusal: broken(`${what} starts a change after sequence ${epoch.after}, but the source's last message is ${previous}`) };
    source.pending = { hash: epoch.hash, after: epoch.after, count: epoch.count, revision: event.data.revision, changes: [], lastSeq: meta.seq };
  } else {
    const p = source.pending;
    const fits = p !== null && p.hash === epoch.hash && p.after === epoch.after && p.count === epoch.count && p.changes.length === epoch.index && p.lastSeq === previous;
    if (!fits) {
      if (p !== null) source.abandonedEpochs++;
      source.pending = null;
      return { applied: null, refusal: broken(`${what} is object ${epoch.index + 1} of ${epoch.count} of change ${epoch.hash.slice(0, 12)} after ${epoch.after}, which does not follow on the source's chain`) };
    }
    p.lastSeq = meta.seq;
  }
  const pending = source.pending as Draft<PendingEpoch>;
  pending.changes.push(changeOf(event) as Draft<ConfigChange>);
  if (epoch.index < epoch.count - 1) return { applied: null, refusal: null };
  return commit(source, event.data.source);
}

/** Applies the staged epoch if the configuration it gives passes validation; the last good one stays otherwise. */
function commit(source: Draft<ConfigSourceState>, name: string): { applied: Applied | null; refusal: Refusal | null } {
  const pending = plain(source.pending) as PendingEpoch;
  source.pending = null;
  const base = plain(source.config) as ClusterConfig;
  const next = applyChanges(source.sorted ? base : canonicalConfig(base), pending.changes);
  const problems = [...configRuleProblems(next), ...unknownBfdProfiles(next)];
  if (problems.length > 0) {
    const more = problems.length > 3 ? ` (and ${problems.length - 3} more)` : "";
    return { applied: null, refusal: { reason: "config-invalid", detail: `change ${pending.hash.slice(0, 12)} not applied: ${problems.slice(0, 3).join("; ")}${more}` } };
  }
  source.config = next as Draft<ClusterConfig>;
  source.sorted = true;
  source.hash = pending.hash;
  return { applied: { source: name, hash: pending.hash, config: next }, refusal: null };
}

/** A BGPPeer naming a BFDProfile the source does not have (ConfigApplied's schema refuses the same). */
function unknownBfdProfiles(config: ClusterConfig): string[] {
  const profiles = new Set((config.bgp?.bfdProfiles ?? []).map((p) => p.name));
  return (config.bgp?.peers ?? []).flatMap((p) => (p.bfdProfile === undefined || profiles.has(p.bfdProfile) ? [] : [`BGPPeer/${p.name}: spec.bfdProfile: no BFDProfile "${p.bfdProfile}"`]));
}
