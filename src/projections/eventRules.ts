import { isDraft, original } from "immer";
import { applyChanges, EMPTY_CLUSTER_CONFIG, nameOf, type ConfigItem } from "../config/configObjects.js";
import { configRuleProblems } from "../config/configRules.js";
import type { BgpSessionsChanged, LogEvent } from "../events/types.js";
import { parseIp } from "../net/ip.js";
import { configIndex, poolContaining } from "./ipam/configIndex.js";
import { ipRecord } from "./ipam/state.js";
import type { LogState } from "./logState.js";

// Semantic checks of a decoded event against the projection it would change: the boundary checks shape (codec.ts),
// these check meaning, with the rules configuration validation and IPAM apply. A refused event changes nothing but
// its counters (logState.ts), whoever published it. Pure and reusable: the projection, replay and audit share them.

export const REFUSAL_REASONS = [
  /** A configuration `vipmesh validate` or the ingest would reject (a pool of 0.0.0.0/0, an aggregation length shorter than its pool, ...). */
  "config-invalid",
  /** An allocation before any configuration, or of an IP in no pool that the Service does not already hold. */
  "ip-outside-pools",
  /** An ownership claim for an address no Service holds. */
  "vip-not-allocated",
  /**
   * A leave, restart, claim or refutation (NodeAlive) whose incarnation (the speaker's start time in ms) is later than the log time it was
   * stored at by more than MAX_CLOCK_AHEAD_MS: a NodeLeft with a far-future incarnation would shut the node out for as
   * long, since a node's next start has a lower one.
   */
  "incarnation-in-future",
  /** A BGP session report naming a peer twice, a peer address that is no IP address, or a state change dated in the future. */
  "session-report-invalid",
  /**
   * A configuration object that does not continue its change (epoch) on the source's chain: out of order, after
   * another message, or starting from a sequence that is not the chain's last (design.md, "Configuration as
   * per-object events"). Its change is not applied.
   */
  "config-epoch-broken",
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];
export type Refusal = { reason: RefusalReason; detail: string };

/** How far a speaker's clock may run ahead of the NATS server's (its incarnation is its start time). */
export const MAX_CLOCK_AHEAD_MS = 60 * 60_000;

/** At most this many configuration problems go into a refusal's detail (the rest are counted). */
const DETAIL_PROBLEMS = 3;

/**
 * Why `state` must not take `event`; null when it may (the reducers' own rules, terms and sharing, still apply).
 * `state.time` is the log time of the event's own message.
 */
export function eventRefusal(state: LogState, event: LogEvent): Refusal | null {
  if (event.type === "NodeLeft" || event.type === "NodeRestarting" || event.type === "VipClaimed" || event.type === "BgpSessionsChanged" || event.type === "NodeAlive") {
    const future = futureIncarnation(state, event.data.incarnation);
    if (future !== null) return future;
  }
  switch (event.type) {
    case "ConfigApplied": {
      const problems = configRuleProblems(event.data.config);
      if (problems.length === 0) return null;
      const more = problems.length > DETAIL_PROBLEMS ? ` (and ${problems.length - DETAIL_PROBLEMS} more)` : "";
      return { reason: "config-invalid", detail: `${problems.slice(0, DETAIL_PROBLEMS).join("; ")}${more}` };
    }
    case "ConfigObjectChanged":
      return objectRefusal(event.data.item);
    case "IpAllocated":
      return allocationRefusal(state, event.data.ip, event.data.service);
    case "BgpSessionsChanged":
      return sessionReportRefusal(state, event.data.sessions);
    case "VipClaimed":
      if ((ipRecord(state.ipam, event.data.vip)?.holders.length ?? 0) > 0) return null;
      return { reason: "vip-not-allocated", detail: `no Service holds ${event.data.vip}` };
    default:
      return null;
  }
}

/** The rules that concern one object alone (its pool's blocks, a peer's fields, communities); the rest are checked when its change is applied. */
function objectRefusal(item: ConfigItem): Refusal | null {
  const alone = applyChanges(EMPTY_CLUSTER_CONFIG, [{ kind: item.kind, name: nameOf(item), item }]);
  const problems = configRuleProblems(alone);
  return problems.length === 0 ? null : { reason: "config-invalid", detail: problems.slice(0, DETAIL_PROBLEMS).join("; ") };
}

function futureIncarnation(state: LogState, incarnation: number): Refusal | null {
  if (incarnation <= state.time + MAX_CLOCK_AHEAD_MS) return null;
  return { reason: "incarnation-in-future", detail: `incarnation ${incarnation} is more than ${MAX_CLOCK_AHEAD_MS / 60_000} min after the log time ${state.time}` };
}

function sessionReportRefusal(state: LogState, sessions: BgpSessionsChanged["data"]["sessions"]): Refusal | null {
  const seen = new Set<string>();
  for (const s of sessions) {
    const refuse = (detail: string): Refusal => ({ reason: "session-report-invalid", detail: `BGPPeer ${s.peer}: ${detail}` });
    if (seen.has(s.peer)) return refuse("reported twice");
    seen.add(s.peer);
    if (!isIpText(s.address)) return refuse(`peer address "${s.address}" is not an IP address`);
    if (s.since > state.time + MAX_CLOCK_AHEAD_MS) return refuse(`state since ${s.since}, more than ${MAX_CLOCK_AHEAD_MS / 60_000} min after the log time ${state.time}`);
  }
  return null;
}

function isIpText(text: string): boolean {
  try {
    parseIp(text);
    return true;
  } catch {
    return false;
  }
}

/** An IP in a pool of the configuration in force, or one the Service already holds (a refresh after a pool edit). */
function allocationRefusal(state: LogState, ip: string, service: string): Refusal | null {
  if (ipRecord(state.ipam, ip)?.holders.some((h) => h.service === service)) return null;
  // The configuration as stored, not its draft: configIndex is memoised per configuration object.
  const applied = isDraft(state.config) ? original(state.config) : state.config;
  const config = applied?.config;
  if (!config) return { reason: "ip-outside-pools", detail: `${ip} allocated before any configuration` };
  let parsed;
  try {
    parsed = parseIp(ip);
  } catch {
    return null; // not an address: the IPAM reducer refuses it with its own reason
  }
  if (poolContaining(configIndex(config), parsed)) return null;
  return { reason: "ip-outside-pools", detail: `${ip} is in no IPAddressPool of configuration ${applied?.hash.slice(0, 12) ?? ""}` };
}

/**
 * Every event the projection refused, per reason: the semantic rules above, a publisher other than the subject's
 * (`identity`), IPAM's own refusals (`ipam`: sharing, one IP per family, a release by a non-holder), claims whose term
 * is not the next (`stale-claim`) and messages the boundary could not decode (`invalid`). Reasons with no refusal are
 * left out. For the attacks bench and audit.
 */
export function refusalsByReason(state: LogState): Record<string, number> {
  const counts: Record<string, number> = { ...state.refused, identity: state.refusedIdentity, ipam: state.ipam.rejected, "stale-claim": state.staleClaims, invalid: state.invalidEvents };
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0).sort(([a], [b]) => (a < b ? -1 : 1)));
}
