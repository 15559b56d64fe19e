import type { Status } from "@nats-io/transport-node";

/** An iterator over statuses that its reader can stop, as the client's own (follow.ts calls `stop`). */
export type StatusIterator = AsyncIterableIterator<Status> & { stop: () => void };

/**
 * Statuses handed to every reader that asked for them, until `end`: the status stream of a connection that outlives
 * the NatsConnection under it (swappableConnection.ts), which feeds it from whichever connection is current.
 */
export class StatusFanout {
  private readonly readers = new Set<Reader>();
  private ended = false;

  push(status: Status): void {
    for (const r of this.readers) r.push(status);
  }

  /** Ends every reader (after what it was already handed) and every one made later. */
  end(): void {
    this.ended = true;
    for (const r of this.readers) r.finish();
    this.readers.clear();
  }

  reader(): StatusIterator {
    const r = new Reader(() => this.readers.delete(r));
    if (this.ended) r.finish();
    else this.readers.add(r);
    return r.iterator();
  }
}

class Reader {
  private readonly queue: Status[] = [];
  private waiting: ((r: IteratorResult<Status>) => void) | null = null;
  private done = false;

  constructor(private readonly detach: () => void) {}

  push(status: Status): void {
    if (this.done) return;
    if (this.waiting) {
      const wake = this.waiting;
      this.waiting = null;
      wake({ value: status, done: false });
    } else this.queue.push(status);
  }

  finish(): void {
    this.done = true;
    this.detach();
    if (this.waiting && this.queue.length === 0) {
      const wake = this.waiting;
      this.waiting = null;
      wake({ value: undefined, done: true });
    }
  }

  iterator(): StatusIterator {
    const next = (): Promise<IteratorResult<Status>> => {
      const queued = this.queue.shift();
      if (queued) return Promise.resolve({ value: queued, done: false });
      if (this.done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => (this.waiting = resolve));
    };
    const stop = (): void => {
      this.queue.length = 0;
      this.finish();
    };
    const it: StatusIterator = {
      next,
      return: () => {
        stop();
        return Promise.resolve({ value: undefined, done: true });
      },
      stop,
      [Symbol.asyncIterator]: () => it,
    };
    return it;
  }
}
