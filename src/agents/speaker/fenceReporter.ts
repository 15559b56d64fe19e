import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { publishEvent } from "../../adapters/nats/publish.js";
import { subjects } from "../../events/subjects.js";

const LEFT_ATTEMPTS = 3;
const RETRY_MS = 1_000;

export type FenceEpisodes = { entered: (reason: string) => void; left: (unfenceReason: string) => void };

/**
 * Puts fencing episodes on the log (vipmesh.ev.announce.<node>) so replay and audit can list them: FenceEntered
 * when it fences, if it can still publish (a node cut off from NATS cannot), and FenceLeft with the whole episode
 * when it answers again, which happens only once the log is back. Times are this node's clock.
 */
export function fenceReporter(js: JetStreamClient, node: string, incarnation: number, log: Logger): FenceEpisodes {
  let episode: { reason: string; enteredAt: number } | null = null;
  return {
    entered: (reason) => {
      episode = { reason, enteredAt: Date.now() };
      void publishEvent(js, subjects.announce(node), { type: "FenceEntered", data: { node, incarnation, reason, at: episode.enteredAt } }, { timeoutMs: 500 });
    },
    left: (unfenceReason) => {
      if (!episode) return;
      const event = { type: "FenceLeft" as const, data: { node, incarnation, reason: episode.reason, enteredAt: episode.enteredAt, leftAt: Date.now(), unfenceReason } };
      episode = null;
      void (async () => {
        for (let attempt = 1; attempt <= LEFT_ATTEMPTS; attempt++) {
          const r = await publishEvent(js, subjects.announce(node), event);
          if (r.ok) return;
          if (attempt === LEFT_ATTEMPTS) log.warn({ err: r.error }, "fencing episode not published; replay and audit will not list it");
          else await new Promise((done) => setTimeout(done, RETRY_MS));
        }
      })();
    },
  };
}
