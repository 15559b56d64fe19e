import type { Registry } from "prom-client";
import { livenessOf, readinessOf, type PartFacts, type ProbeVerdict } from "./readiness.js";

/**
 * One process's health and metrics: each agent registers what it can tell about itself (a facts function, read at
 * every probe) and its metrics (collected at every scrape). One per process, never global, so tests do not share it.
 */
export class AgentMonitor {
  private readonly parts = new Map<string, () => PartFacts>();

  constructor(readonly metrics: Registry) {}

  /** Adds an agent's facts; returns the way to remove them (an agent that stopped says nothing more). */
  register(part: string, facts: () => PartFacts): () => void {
    this.parts.set(part, facts);
    return () => {
      if (this.parts.get(part) === facts) this.parts.delete(part);
    };
  }

  readiness(): ProbeVerdict {
    return readinessOf(this.facts());
  }

  liveness(): ProbeVerdict {
    return livenessOf(this.facts());
  }

  private facts(): PartFacts[] {
    return [...this.parts.values()].map((f) => f());
  }
}
