// HTTP prober in the `client` namespace and the arithmetic on its results.
import { labScript } from "./paths.js";
import { waitFor } from "./run.js";
import type { LabContext, ProcHandle } from "./types.js";

export interface ProbeResult {
  /** Request start, epoch milliseconds (fractional). */
  t: number;
  ok: boolean;
  /** Backend name from the body (`node1` ...), null on failure. */
  node: string | null;
  /** Duration in milliseconds. */
  ms: number;
  err: string | null;
  status: number | null;
}

export interface ProberOptions {
  url: string;
  intervalMs?: number;
  timeoutMs?: number;
  /** Hard bounds: the prober stops by itself after this many requests or this long (default 100000 / 15 min). */
  maxCount?: number;
  maxMs?: number;
}

export function parseProbeLine(line: string): ProbeResult | undefined {
  try {
    const v = JSON.parse(line) as Partial<ProbeResult>;
    if (typeof v.t !== "number" || typeof v.ok !== "boolean") return undefined;
    return { t: v.t, ok: v.ok, node: v.node ?? null, ms: v.ms ?? 0, err: v.err ?? null, status: v.status ?? null };
  } catch {
    return undefined;
  }
}

/** Statistics over probe results. Results are kept in arrival order; queries sort by request start. */
export class ProbeLog {
  readonly results: ProbeResult[] = [];

  add(r: ProbeResult): void {
    this.results.push(r);
  }

  /** Results whose request started in [from, to). */
  between(from = -Infinity, to = Infinity): ProbeResult[] {
    return this.results.filter((r) => r.t >= from && r.t < to).sort((a, b) => a.t - b.t);
  }

  /** First successful result whose request started at or after `t` (optionally served by `node`). */
  firstSuccessAfter(t: number, node?: string): ProbeResult | undefined {
    return this.between(t).find((r) => r.ok && (node === undefined || r.node === node));
  }

  /**
   * The earliest completion (epoch ms) of a successful request started at or after `t`: when the client first had
   * an answer. Requests started earlier may finish later (their SYN waited for the address to resolve).
   */
  firstAnswerAfter(t: number): number | undefined {
    let first: number | undefined;
    for (const r of this.results) if (r.ok && r.t >= t && (first === undefined || r.t + r.ms < first)) first = r.t + r.ms;
    return first;
  }

  /** Last failed result whose request started in [from, to). */
  lastFailureBetween(from = -Infinity, to = Infinity): ProbeResult | undefined {
    return this.between(from, to).filter((r) => !r.ok).pop();
  }

  failuresBetween(from = -Infinity, to = Infinity): number {
    return this.between(from, to).filter((r) => !r.ok).length;
  }

  /** Successful answers per backend node in [from, to). */
  servedBy(from = -Infinity, to = Infinity): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const r of this.between(from, to)) if (r.ok && r.node !== null) counts[r.node] = (counts[r.node] ?? 0) + 1;
    return counts;
  }

  /** Which node served the request closest before `t` (successes only). */
  nodeAt(t: number): string | null {
    const before = this.between(-Infinity, t + 1e-3).filter((r) => r.ok);
    return before.pop()?.node ?? null;
  }
}

export class Prober extends ProbeLog {
  constructor(
    readonly proc: ProcHandle,
    readonly opts: Required<Pick<ProberOptions, "url" | "intervalMs" | "timeoutMs">>,
  ) {
    super();
  }

  /** Waits for a success started at or after `after` (default: now), optionally from `node`. */
  waitForSuccess(opts: { node?: string; after?: number; timeoutMs?: number } = {}): Promise<ProbeResult> {
    const after = opts.after ?? Date.now();
    return waitFor(
      `a successful probe${opts.node ? ` from ${opts.node}` : ""}`,
      () => this.firstSuccessAfter(after, opts.node),
      opts.timeoutMs ?? 10_000,
      Math.max(10, Math.min(100, this.opts.intervalMs)),
    );
  }

  /** Stops the prober and waits for the results of requests in flight. */
  async stop(): Promise<void> {
    await this.proc.stop(this.opts.timeoutMs + 1000);
  }
}

export function startClientProber(lab: LabContext, opts: ProberOptions): Prober {
  const full = { url: opts.url, intervalMs: opts.intervalMs ?? 100, timeoutMs: opts.timeoutMs ?? 1000 };
  const argv = [
    process.execPath, labScript("prober.mjs"),
    "--url", full.url, "--interval", String(full.intervalMs), "--timeout", String(full.timeoutMs),
    "--max-count", String(opts.maxCount ?? 100_000), "--max-ms", String(opts.maxMs ?? 900_000),
  ];
  let prober: Prober | undefined;
  const pending: ProbeResult[] = [];
  const proc = lab.spawn("client", argv, {
    name: "prober",
    onLine: (line) => {
      const r = parseProbeLine(line);
      if (r) (prober ? prober.add(r) : pending.push(r));
    },
  });
  prober = new Prober(proc, full);
  for (const r of pending) prober.add(r);
  return prober;
}
