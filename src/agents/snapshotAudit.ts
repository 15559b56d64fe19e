// A snapshot is checked against the stream when it is loaded (startPoint.ts: the message at its sequence is the one
// it recorded), but only a replay of the log proves the state it holds. This audit replays EVENTS from the start up
// to the agent's position once the agent has caught up (at once when it started from a snapshot) and then every
// `everyMs`, and compares with the live projection. A mismatch is an error: logged, counted, the live projection
// replaced by the replay (effects follow it), and the stored snapshot replaced by a proven one. A state from an
// unproven snapshot is never saved as a new snapshot (the store is held until the first replay agrees).
import type { Logger } from "pino";
import { decodeLogEntries } from "../events/entries.js";
import { STREAMS } from "../events/types.js";
import { applyLogBatch } from "../projections/batch.js";
import { emptyLogState, type LogState } from "../projections/logState.js";
import type { RawMessage } from "../adapters/nats/follow.js";
import { readWholeStream, type LogClients } from "../adapters/nats/readLog.js";

export type SnapshotAuditOptions = {
  /** The log host's connection and its JetStream clients (the replays' consumers are made with them). */
  link: LogClients;
  log: Logger;
  /** The agent's live projection, and how to replace it. */
  state: { get(): LogState; set(state: LogState): void };
  /** True once the agent has read the log up to where it stood at start; the first replay waits for it. */
  caughtUp(): boolean;
  /** The agent started from a snapshot: its state is unproven until a replay agrees. */
  fromSnapshot: boolean;
  /** Called after the live projection was replaced, so the agent acts on it. */
  onRebuilt(): void;
  store: { hold(held: boolean): void; replace(state: LogState): Promise<boolean> };
  /** Between replays once proven (default 30 min, with up to 20% more at random so agents do not read in step). */
  everyMs?: number;
  /** How often it looks whether the agent has caught up (default 1 s). */
  pollMs?: number;
};

const ignore = (): void => undefined;
const decode = (batch: readonly RawMessage[]) => decodeLogEntries(batch, ignore);

export class SnapshotAudit {
  /** Replays that disagreed with the live projection. */
  mismatches = 0;
  private proven: boolean;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(private readonly o: SnapshotAuditOptions) {
    this.proven = !o.fromSnapshot;
    if (!this.proven) o.store.hold(true);
    this.schedule(o.fromSnapshot ? 0 : this.interval());
  }

  /** True when the live projection came from the log alone, or a replay agreed with it. */
  get trusted(): boolean {
    return this.proven;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  private interval(): number {
    const every = this.o.everyMs ?? 30 * 60_000;
    return every + Math.random() * every * 0.2;
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      if (!this.o.caughtUp()) return this.schedule(this.o.pollMs ?? 1_000);
      this.running = this.check()
        .catch((err: unknown) => this.o.log.warn({ err: (err as Error).message }, "snapshot audit: the log could not be replayed; trying again later"))
        .finally(() => {
          this.running = null;
          this.schedule(this.proven ? this.interval() : (this.o.pollMs ?? 1_000) * 10);
        });
    }, ms);
  }

  /** One replay of EVENTS up to the live position, compared with the live projection. */
  async check(): Promise<void> {
    const live = this.o.state.get();
    let replayed = emptyLogState();
    const after: RawMessage[] = [];
    let firstSeq: number | null = null;
    await readWholeStream(this.o.link, STREAMS.events, (batch) => {
      firstSeq ??= batch[0]?.meta.seq ?? null;
      replayed = applyLogBatch(replayed, decode(batch.filter((m) => m.meta.seq <= live.seq)));
      after.push(...batch.filter((m) => m.meta.seq > live.seq));
    });
    if (firstSeq !== null && firstSeq > 1) throw new Error(`EVENTS starts at sequence ${firstSeq}: the log before it is gone, there is nothing to compare with`);
    if (JSON.stringify(replayed) === JSON.stringify(live)) {
      if (!this.proven) this.o.log.info({ seq: live.seq }, "snapshot audit: a replay of the log agrees with the projection started from the snapshot");
      return this.prove();
    }
    this.mismatches++;
    this.o.log.error({ seq: live.seq, fromSnapshot: this.o.fromSnapshot, mismatches: this.mismatches }, "snapshot audit: the projection does not match a replay of the log; the snapshot it came from is discarded and the projection rebuilt from the log");
    const rebuilt = await this.catchUp(applyLogBatch(replayed, decode(after)));
    this.o.state.set(rebuilt);
    this.o.onRebuilt();
    this.prove();
    await this.o.store.replace(rebuilt).catch((err: unknown) => this.o.log.warn({ err: (err as Error).message }, "snapshot audit: the disproved snapshot was not replaced"));
  }

  private prove(): void {
    this.proven = true;
    this.o.store.hold(false);
  }

  /** `state` brought up to the live projection's position, which kept moving while the log was replayed. */
  private async catchUp(state: LogState): Promise<LogState> {
    let s = state;
    while (this.o.state.get().seq > s.seq) {
      const from = s.seq + 1;
      let read = 0;
      await readWholeStream(this.o.link, STREAMS.events, (batch) => {
        read += batch.length;
        s = applyLogBatch(s, decode(batch));
      }, { fromSeq: from });
      if (read === 0) break;
    }
    return s;
  }
}
