// Runs one async job at a time, on demand: a request while it runs (or the job itself asking) makes it run once more
// afterwards, however many requests came. Reconcilers use it so a burst of watch events costs one or two passes.

export class Rerunner {
  private running = false;
  private again = false;

  constructor(
    private readonly job: () => Promise<void>,
    private readonly onError: (err: Error) => void,
  ) {}

  /** Runs the job soon, or once more after the current run. */
  schedule(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() =>
      void this.job()
        .catch((err: unknown) => this.onError(err instanceof Error ? err : new Error(String(err))))
        .finally(() => {
          this.running = false;
          if (this.again) {
            this.again = false;
            this.schedule();
          }
        }),
    );
  }

  /** From inside the job: run once more when this run ends (a lost race, a conflict to look at again). */
  rerun(): void {
    this.again = true;
  }
}
