import { sleep } from './delivery.js';
import { RetryBatch, type ConsumeOptions, type Delivery, type TransportLogger } from './transport.js';

/** The ordered source of one owned partition, opened when the partition is gained. */
export interface PartitionFeed {
  /** The next ordered batch (at most `maxBatch`); `undefined` once the feed is closed or broken. */
  next(): Promise<readonly Delivery[] | undefined>;
  /**
   * Stops fetching; a waiting `next()` resolves `undefined`; the messages it holds (fetched and
   * not handed out, or taken back from a failed batch) are returned.
   */
  close(): Promise<void>;
  /**
   * Takes back a failed batch's unsettled messages: the next batches hand them out again
   * (delivery count + 1) before anything after them.
   */
  retry(batch: readonly Delivery[]): void;
}

export interface PartitionSessionOptions {
  readonly consume: ConsumeOptions;
  readonly openFeed: (partition: number) => Promise<PartitionFeed>;
  readonly logger: TransportLogger;
}

const ascending = (a: number, b: number) => a - b;

/**
 * Pause of a partition after its handler threw, doubled with each failure in a row and at most
 * half the ack wait (and 30 s): a partition held back by a failing batch tries again at least
 * twice per ack wait.
 */
const RETRY_PAUSE_MS = 1000;

/** The longest pause, whatever the ack wait (it may be up to an hour). */
const MAX_RETRY_PAUSE_MS = 30_000;

/** The pause after `failures` failed batches in a row. */
export function retryPauseMs(failures: number, ackWaitMs: number): number {
  return Math.min(RETRY_PAUSE_MS * 2 ** Math.max(0, failures - 1), ackWaitMs / 2, MAX_RETRY_PAUSE_MS);
}

/** Delivers one partition's batches to the handler, one batch at a time, until stopped. */
class PartitionRunner {
  private feed: PartitionFeed | undefined;
  private stopped = false;
  /** Failed batches in a row. */
  private failures = 0;
  /** Ends a pause early when the runner is stopped. */
  private interruptPause: (() => void) | undefined;
  private readonly done: Promise<void>;

  constructor(
    private readonly partition: number,
    private readonly options: PartitionSessionOptions,
  ) {
    this.done = this.run();
  }

  /** Stops fetching and waits for the in-flight batch. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.interruptPause?.();
    await this.feed?.close();
    await this.done;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      this.feed = await this.open();
      if (!this.feed) return;
      await this.pump(this.feed);
      await this.feed.close(); // returns what it holds; a new feed waits for it
      if (!this.stopped) await sleep(200); // the feed broke (e.g. consumer deleted): reopen
    }
  }

  private async open(): Promise<PartitionFeed | undefined> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        const feed = await this.options.openFeed(this.partition);
        if (!this.stopped) return feed;
        await feed.close();
      } catch (error) {
        if (attempt % 20 === 0) this.options.logger.warn(`partition ${this.partition}: open failed`, error);
        await sleep(Math.min(1000, 50 * 2 ** attempt));
      }
    }
    return undefined;
  }

  /**
   * After a failed batch: the feed takes back its unsettled messages, to hand them out again
   * before the ones fetched after them, and the partition pauses.
   */
  private async retryLater(batch: readonly Delivery[], feed: PartitionFeed): Promise<void> {
    feed.retry(batch);
    this.failures++;
    await this.pause(retryPauseMs(this.failures, this.options.consume.ackWaitMs));
  }

  /** Waits `ms`, or less if the runner is stopped meanwhile. */
  private async pause(ms: number): Promise<void> {
    if (this.stopped) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.interruptPause = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.interruptPause = undefined;
  }

  private async pump(feed: PartitionFeed): Promise<void> {
    for (let batch = await feed.next(); batch; batch = await feed.next()) {
      if (this.stopped) {
        batch.forEach((d) => d.nak());
        return;
      }
      try {
        await this.options.consume.handler(batch, this.partition);
        this.failures = 0;
      } catch (error) {
        if (!(error instanceof RetryBatch))
          this.options.logger.error(`partition ${this.partition}: handler failed`, error);
        await this.retryLater(batch, feed);
      }
    }
  }
}

/**
 * The partitions one consumer-group member owns and their runners. Gains and losses are
 * applied one at a time, in call order: `onAssignment` is awaited before the first batch of
 * gained partitions and after the in-flight batches of lost partitions have finished.
 */
export class PartitionSession {
  private readonly runners = new Map<number, PartitionRunner>();
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(private readonly options: PartitionSessionOptions) {}

  owned(): number[] {
    return [...this.runners.keys()].sort(ascending);
  }

  /** Starts delivering `partitions`; rejects (starting none) when `onAssignment` throws. */
  gain(partitions: readonly number[]): Promise<void> {
    return this.serially(async () => {
      const gained = partitions.filter((p) => !this.runners.has(p)).sort(ascending);
      if (gained.length === 0 || this.closed) return;
      const owned = [...this.runners.keys(), ...gained].sort(ascending);
      await this.options.consume.onAssignment?.(owned, gained, []);
      for (const p of gained) this.runners.set(p, new PartitionRunner(p, this.options));
    });
  }

  /** Stops delivering `partitions` once their in-flight batches are done, then reports the loss. */
  lose(partitions: readonly number[]): Promise<void> {
    return this.serially(async () => {
      const lost = partitions.filter((p) => this.runners.has(p)).sort(ascending);
      if (lost.length === 0) return;
      await Promise.all(lost.map((p) => this.runners.get(p)?.stop() ?? Promise.resolve()));
      lost.forEach((p) => this.runners.delete(p));
      try {
        await this.options.consume.onAssignment?.(this.owned(), [], lost);
      } catch (error) {
        this.options.logger.error('onAssignment failed for lost partitions', error);
      }
    });
  }

  /** Loses every partition and refuses later gains. */
  stop(): Promise<void> {
    this.closed = true;
    return this.serially(() => Promise.resolve()).then(() => this.lose(this.owned()));
  }

  private serially<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.chain.then(operation);
    this.chain = result.catch(() => undefined);
    return result;
  }
}
