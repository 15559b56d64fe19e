// Whether a process is alive and ready, and why not: a pure decision over the facts each agent of the process
// reports (src/agents/health/healthBoard.ts collects them; src/adapters/http/monitorServer.ts serves the verdicts).

/** What one agent of a process (speaker, allocator, ingest, status writer) says about itself. */
export type PartFacts = {
  /** The agent's name in the verdict's reasons ("speaker", "allocator"). */
  readonly part: string;
  /** Its NATS connection is up (false while connecting or reconnecting). */
  readonly natsConnected: boolean;
  /** Its view has caught up with the log (the view's own signal; the agent does not act before it). */
  readonly caughtUp: boolean;
  /** A speaker cut off from the log that stopped answering; absent for agents that never fence. */
  readonly fenced?: boolean;
  /** The followers of the log streams it reads, by stream; false once one ended while the agent runs. */
  readonly followers: Readonly<Record<string, boolean>>;
  /** Stopping (signal received): not ready, so traffic and probes move on; still alive while it hands over. */
  readonly stopping: boolean;
};

export type ProbeVerdict = { readonly ok: boolean; readonly reasons: readonly string[] };

/**
 * Ready: every part connected to NATS, caught up with the log, not fenced and not stopping. A process with no part
 * yet (still starting) is not ready.
 */
export function readinessOf(parts: readonly PartFacts[]): ProbeVerdict {
  if (parts.length === 0) return { ok: false, reasons: ["starting: no agent has opened the log yet"] };
  const reasons = parts.flatMap(notReadyReasons);
  return { ok: reasons.length === 0, reasons };
}

function notReadyReasons(p: PartFacts): string[] {
  const reasons: string[] = [];
  if (p.stopping) reasons.push(`${p.part}: stopping`);
  if (!p.natsConnected) reasons.push(`${p.part}: not connected to NATS`);
  if (!p.caughtUp) reasons.push(`${p.part}: not caught up with the log`);
  if (p.fenced === true) reasons.push(`${p.part}: fenced (cut off from the log while others can write to it; not answering)`);
  return reasons;
}

/**
 * Alive: the process answers (its event loop turns, or there would be no answer at all) and every follower of
 * every part still runs. A lost NATS connection is not a liveness failure: the client reconnects by itself, and a
 * restart would not bring NATS back.
 */
export function livenessOf(parts: readonly PartFacts[]): ProbeVerdict {
  const reasons = parts.flatMap((p) =>
    p.stopping ? [] : Object.entries(p.followers).filter(([, alive]) => !alive).map(([stream]) => `${p.part}: the follower of ${stream} stopped`),
  );
  return { ok: reasons.length === 0, reasons };
}

/** The body of a probe's answer: "ok", or one reason per line. */
export function verdictText(v: ProbeVerdict): string {
  return v.ok ? "ok\n" : `${v.reasons.join("\n")}\n`;
}
