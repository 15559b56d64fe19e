import { subjects } from "../events/subjects.js";
import type { RawMessage } from "../adapters/nats/follow.js";
import { percentile } from "./report.js";

// The hops of create-to-reachable, each timed from stamps the bench does not make itself: the API server's watch
// (a `kubectl get -w` beside the controllers), the log's own stamps (nats-server's clock, the same machine's), the
// switch's capture of the first gratuitous ARP and the client's probe. Times are epoch milliseconds.

/** What one trial left behind; null where the stamp was not seen. */
export type TrialStamps = {
  applied: number;
  kubectlExited: number | null;
  watchAdded: number | null;
  configLogged: number | null;
  allocationLogged: number | null;
  claimLogged: number | null;
  /** The owner's own log line saying it answers for the VIP (its projection applied its claim). */
  speakerAnswering: number | null;
  garpOnWire: number | null;
  reachable: number | null;
  statusWritten: number | null;
};

/** The path, in order: each hop runs from the stamp before it. */
export const HOPS = [
  ["api_watch", "watchAdded"],
  ["ingest_publish", "configLogged"],
  ["allocate", "allocationLogged"],
  ["claim", "claimLogged"],
  ["speaker_applies_claim", "speakerAnswering"],
  ["announce_garp", "garpOnWire"],
  ["client_detect", "reachable"],
] as const satisfies readonly (readonly [string, keyof TrialStamps])[];

/** Off the path (nothing waits for them), timed from the apply. */
const ASIDES = [
  ["kubectl_exit", "kubectlExited"],
  ["status_written", "statusWritten"],
] as const satisfies readonly (readonly [string, keyof TrialStamps])[];

/** The first stored message on each subject prefix the trials name: a Service's config object, its IP's and VIP's chains. */
export class LogStamps {
  private readonly first = new Map<string, number>();

  constructor(private readonly prefixes: readonly string[]) {}

  add(batch: readonly RawMessage[]): void {
    for (const m of batch) {
      const prefix = this.prefixes.find((p) => m.meta.subject.startsWith(p));
      if (prefix !== undefined && !this.first.has(prefix)) this.first.set(prefix, m.meta.time);
    }
  }

  at(prefix: string): number | null {
    return this.first.get(prefix) ?? null;
  }
}

/** When a speaker's log first says it answers for each VIP (pino's epoch-ms `time`, message "answering and announcing"). */
export function answeringTimes(lines: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines) {
    if (!line.includes("answering and announcing")) continue;
    try {
      const v = JSON.parse(line) as { time?: unknown; vip?: unknown };
      if (typeof v.time === "number" && typeof v.vip === "string" && !out.has(v.vip)) out.set(v.vip, v.time);
    } catch {
      // not a JSON log line
    }
  }
  return out;
}

/** The subject prefixes of a trial's Service (namespace/name) and address. */
export function trialPrefixes(service: string, vip: string): { config: string; ip: string; vip: string } {
  return {
    config: subjects.configObject("kubernetes", "service", service),
    ip: subjects.ipChain(vip).slice(0, -1),
    vip: subjects.vipChain(vip).slice(0, -1),
  };
}

/** Figures: per hop and aside, p50 and p99 in ms (rounded to 0.1), over the trials where both stamps were seen. */
export function hopFigures(trials: readonly TrialStamps[]): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (name: string, spans: number[]): void => {
    const sorted = spans.sort((a, b) => a - b);
    out[`${name}_p50_ms`] = Math.round(percentile(sorted, 50) * 10) / 10;
    out[`${name}_p99_ms`] = Math.round(percentile(sorted, 99) * 10) / 10;
  };
  let from: keyof TrialStamps = "applied";
  for (const [name, key] of HOPS) {
    put(`hop_${name}`, spansOf(trials, from, key));
    from = key;
  }
  for (const [name, key] of ASIDES) put(`aside_${name}`, spansOf(trials, "applied", key));
  return out;
}

function spansOf(trials: readonly TrialStamps[], from: keyof TrialStamps, to: keyof TrialStamps): number[] {
  const spans: number[] = [];
  for (const t of trials) {
    const a = t[from];
    const b = t[to];
    if (a !== null && b !== null) spans.push(b - a);
  }
  return spans;
}
