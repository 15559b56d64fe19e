import { monitorEventLoopDelay, performance, type IntervalHistogram } from "node:perf_hooks";
import { emptyHealthMeter, meterScore, recordLateness, type HealthMeter } from "../../projections/members/lifeguard.js";

const LOOP_RESOLUTION_MS = 10;

/**
 * This speaker's own lateness (Lifeguard's local health), measured once per beat interval: how late the beat timer
 * fired, the event loop's worst delay, and how much longer than the slack below a beat waited for its
 * acknowledgement (or has been waiting, unanswered). The score (lifeguard.ts) goes into the next heartbeat.
 */
export class LocalHealth {
  private meter: HealthMeter = emptyHealthMeter();
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  private worstAckMs = 0;
  private readonly unacked = new Map<number, number>();
  /** The score last reported, and the worst lateness of the interval behind it (for metrics). */
  score = 0;
  lastLateMs = 0;

  /**
   * `ackSlackMs`: acknowledgement time that is not lateness. A server that stores every message with an fsync acks
   * in tens of milliseconds under load, the same for every node, which delays no one's beats relative to the others'.
   */
  constructor(private readonly ackSlackMs: number) {
    this.loop.enable();
  }

  /** Call when beat `beat` is handed to NATS; then `acked(beat)` when its acknowledgement (or error) comes back. */
  sent(beat: number): void {
    this.unacked.set(beat, performance.now());
  }

  acked(beat: number): void {
    const at = this.unacked.get(beat);
    if (at === undefined) return;
    this.unacked.delete(beat);
    this.worstAckMs = Math.max(this.worstAckMs, performance.now() - at);
  }

  /** Closes the interval that ended with a beat timer `timerLateMs` late; returns the score to report. */
  beat(timerLateMs: number): number {
    // The histogram's samples include its own resolution: a loop that is never blocked reads about 10 ms.
    const loopMs = Math.max(0, this.loop.max / 1e6 - LOOP_RESOLUTION_MS);
    this.loop.reset();
    const now = performance.now();
    const oldestUnacked = Math.max(0, ...[...this.unacked.values()].map((at) => now - at));
    this.lastLateMs = Math.max(timerLateMs, loopMs, this.worstAckMs - this.ackSlackMs, oldestUnacked - this.ackSlackMs);
    this.worstAckMs = 0;
    this.meter = recordLateness(this.meter, this.lastLateMs);
    this.score = meterScore(this.meter);
    return this.score;
  }

  stop(): void {
    this.loop.disable();
  }
}
