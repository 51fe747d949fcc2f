/**
 * Runs async tasks one at a time, in order. Every change to run state goes
 * through one queue, so admission (which counts in-flight runs across models)
 * never sees a half-applied change, and a run's sequence numbers stay monotonic.
 * A failing task rejects its own caller only; the queue carries on.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();
  private depth = 0;

  run<T>(task: () => Promise<T>): Promise<T> {
    this.depth++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => this.depth--,
      () => this.depth--,
    );
    return result;
  }

  /** Tasks queued or running. */
  get pending(): number {
    return this.depth;
  }

  /** Resolves when everything queued so far has finished. */
  idle(): Promise<void> {
    return this.tail.then(() => undefined);
  }
}
