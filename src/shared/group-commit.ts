interface Waiting<I, O> {
  readonly items: readonly I[];
  readonly resolve: (outputs: O[]) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Group commit: callers hand in items; `work` runs over everything that queued up while
 * its previous run was in flight, one run at a time, in arrival order, at most `maxItems`
 * per run (a caller's items are never split). Each caller gets the outputs of its own
 * items, or the error of the run they were in.
 *
 * Used where one durable write per run costs about as much as one per item: the embedded
 * ingestion (one SQLite commit per batch) and the stream worker (one PostgreSQL commit for
 * the batches of all the partitions it owns).
 *
 * @example
 * const commits = new GroupCommit((requests) => decider.decide(requests), 1000);
 * const [outcome] = await commits.run([request]);
 */
export class GroupCommit<I, O> {
  private queue: Waiting<I, O>[] = [];
  private queued = 0;
  private inFlight = 0;
  private running: Promise<void> | undefined;

  constructor(
    private readonly work: (items: I[]) => Promise<O[]>,
    private readonly maxItems: number,
  ) {}

  /** Queues `items`; resolves with their outputs, in order, once their run has finished. */
  run(items: readonly I[]): Promise<O[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      this.queued += items.length;
      this.running ??= this.drainSoon();
    });
  }

  /** Items queued or in the run in flight. */
  get size(): number {
    return this.queued + this.inFlight;
  }

  /** Resolves once nothing is queued or running. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drainSoon(): Promise<void> {
    // Let the requests that arrived in the same turn of the event loop join the first run.
    await new Promise<void>((resolve) => setImmediate(resolve));
    try {
      while (this.queue.length > 0) await this.runOnce(this.takeRun());
    } finally {
      this.running = undefined;
    }
  }

  private takeRun(): Waiting<I, O>[] {
    let count = 0;
    let taken = 0;
    while (taken < this.queue.length) {
      const next = this.queue[taken]?.items.length ?? 0;
      if (taken > 0 && count + next > this.maxItems) break;
      count += next;
      taken++;
    }
    this.queued -= count;
    this.inFlight = count;
    return this.queue.splice(0, taken);
  }

  private async runOnce(callers: readonly Waiting<I, O>[]): Promise<void> {
    try {
      const outputs = await this.work(callers.flatMap((c) => c.items));
      let offset = 0;
      for (const caller of callers) {
        caller.resolve(outputs.slice(offset, offset + caller.items.length));
        offset += caller.items.length;
      }
    } catch (error) {
      callers.forEach((caller) => caller.reject(error));
    } finally {
      this.inFlight = 0;
    }
  }
}
