import type { InProcessStream, StoredMessage } from './in-process-stream.js';

/** The consumer limits of a group (the latest `consume()` call sets them). */
export interface ConsumerLimits {
  readonly maxBatch: number;
  readonly ackWaitMs: number;
  readonly maxDeliver: number;
}

/** A message handed out, with the number of times it has now been delivered. */
export interface Taken {
  readonly message: StoredMessage;
  readonly deliveryCount: number;
}

interface Pending {
  readonly count: number;
  timer: NodeJS.Timeout;
}

/**
 * The delivery state of one partition for one consumer group, like a JetStream durable
 * consumer: a cursor over new messages, messages awaiting an ack (at most `maxBatch`, so
 * order holds), and messages due for redelivery, which go first, in sequence order.
 */
export class PartitionQueue {
  private cursor = 0;
  private redeliver: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly counts = new Map<number, number>();
  private waiters: (() => void)[] = [];

  constructor(
    private readonly stream: InProcessStream,
    private readonly partition: number,
    private readonly limits: () => ConsumerLimits,
  ) {}

  /** The next messages to deliver, as many as the ack-pending room allows. */
  take(): Taken[] {
    const { maxBatch, ackWaitMs } = this.limits();
    const out: Taken[] = [];
    const room = maxBatch - this.pending.size;
    while (out.length < room) {
      const seq = this.nextSeq();
      if (seq === undefined) break;
      const message = this.stream.get(seq);
      if (!message) {
        this.counts.delete(seq);
        continue;
      }
      const count = (this.counts.get(seq) ?? 0) + 1;
      this.counts.set(seq, count);
      const timer = setTimeout(() => this.expire(seq, count), ackWaitMs).unref();
      this.pending.set(seq, { count, timer });
      out.push({ message, deliveryCount: count });
    }
    return out;
  }

  /** Messages of this partition the group has not finished: not yet delivered, in flight or due again. */
  lag(): number {
    const undelivered = this.stream.seqsOf(this.partition).length - this.cursor;
    return undelivered + this.redeliver.length + this.pending.size;
  }

  /** Messages handed out and not yet acked, termed or due for redelivery. */
  pendingSeqs(): number[] {
    return [...this.pending.keys()];
  }

  isPending(seq: number): boolean {
    return this.pending.has(seq);
  }

  ack(seq: number): void {
    this.finish(seq);
  }

  term(seq: number): void {
    this.finish(seq);
  }

  nak(seq: number, delayMs = 0): void {
    const entry = this.pending.get(seq);
    if (!entry) return;
    clearTimeout(entry.timer);
    if (delayMs <= 0) return this.retry(seq, entry.count);
    entry.timer = setTimeout(() => this.retry(seq, entry.count), delayMs).unref();
  }

  /** Resolves at the next change that may make messages available. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    waiters.forEach((resolve) => resolve());
  }

  /** Cancels every timer (the transport is closing). */
  dispose(): void {
    this.pending.forEach((entry) => clearTimeout(entry.timer));
    this.pending.clear();
    this.notify();
  }

  private nextSeq(): number | undefined {
    if (this.redeliver.length > 0) return this.redeliver.shift();
    const seqs = this.stream.seqsOf(this.partition);
    return this.cursor < seqs.length ? seqs[this.cursor++] : undefined;
  }

  private expire(seq: number, count: number): void {
    if (this.pending.get(seq)?.count === count) this.retry(seq, count);
  }

  private retry(seq: number, count: number): void {
    this.pending.delete(seq);
    if (count >= this.limits().maxDeliver) this.counts.delete(seq);
    else this.redeliver = [...this.redeliver, seq].sort((a, b) => a - b);
    this.notify();
  }

  private finish(seq: number): void {
    const entry = this.pending.get(seq);
    if (entry) clearTimeout(entry.timer);
    this.pending.delete(seq);
    this.counts.delete(seq);
    if (this.redeliver.length > 0) this.redeliver = this.redeliver.filter((s) => s !== seq);
    this.notify();
  }
}
