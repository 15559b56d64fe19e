import type { AgentMonitor } from "./monitor.js";
import type { PartFacts } from "./readiness.js";

/** What an agent reports once it has opened the log (before that: not connected, not caught up). */
export type OpenedFacts = Omit<PartFacts, "part" | "stopping">;

/**
 * One agent's entry in its process's monitor, from the moment it starts: it reports "not connected" until
 * `opened` is called with the live facts, and "stopping" once `signal` aborts.
 */
export class PartHealth {
  private live: (() => OpenedFacts) | null = null;
  private readonly unregister: () => void;

  constructor(monitor: AgentMonitor | undefined, private readonly part: string, private readonly signal: AbortSignal) {
    this.unregister = monitor?.register(part, () => this.facts()) ?? (() => undefined);
  }

  opened(facts: () => OpenedFacts): void {
    this.live = facts;
  }

  /** The agent has stopped: its facts leave the process's verdicts. */
  close(): void {
    this.unregister();
  }

  private facts(): PartFacts {
    const live = this.live?.() ?? { natsConnected: false, caughtUp: false, followers: {} };
    return { part: this.part, stopping: this.signal.aborted, ...live };
  }
}
