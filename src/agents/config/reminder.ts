// Says a standing condition once when it starts or changes, then again only every `everyMs` while it lasts: a
// process waiting for its configuration keeps saying so without a line per poll.

export class Reminder {
  private said: { key: string; at: number } | null = null;

  constructor(private readonly everyMs: number) {}

  /** True when `key` should be said now: it is new, or was last said at least `everyMs` before `now`. */
  due(key: string, now: number): boolean {
    if (this.said?.key === key && now - this.said.at < this.everyMs) return false;
    this.said = { key, at: now };
    return true;
  }

  /** The condition ended: the next one is said at once. */
  clear(): void {
    this.said = null;
  }
}
