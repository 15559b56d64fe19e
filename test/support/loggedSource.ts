import type { NatsConnection } from "@nats-io/transport-node";
import { sourceOnLog, type SourceOnLog } from "../../src/adapters/nats/configChange.js";
import { readWholeStream } from "../../src/adapters/nats/readLog.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { STREAMS } from "../../src/events/types.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";

/** EVENTS read from a real nats-server up to its last message, through the agents' own projection. */
export async function projectEvents(nc: NatsConnection): Promise<LogState> {
  let state = emptyLogState();
  await readWholeStream(nc, STREAMS.events, (batch) => {
    state = applyLogBatch(state, decodeLogEntries(batch, () => undefined));
  }, { stallMs: 10_000 });
  return state;
}

/** What `source` has applied on the log (its objects, hash and chain position), as every agent's projection has it. */
export async function loggedSource(nc: NatsConnection, source: string): Promise<SourceOnLog> {
  return sourceOnLog(await projectEvents(nc), source);
}
