import { planAssignment } from '../assignment.js';
import { createDelivery, isSettled } from '../delivery.js';
import { PartitionSession, type PartitionFeed } from '../partition-session.js';
import type { ConsumeOptions, Delivery, StreamName, TransportLogger } from '../transport.js';
import type { InProcessStream } from './in-process-stream.js';
import { PartitionQueue, type ConsumerLimits, type Taken } from './partition-queue.js';

/**
 * Hands one partition's messages to its owner, one batch at a time. Messages a previous owner
 * left unacked are waited for (their ack waits expire one by one) so that they come back
 * first and in order, as with JetStream.
 */
class QueueFeed implements PartitionFeed {
  private closed = false;
  private backlog: number[];

  constructor(
    private readonly queue: PartitionQueue,
    private readonly toDelivery: (taken: Taken) => Delivery,
  ) {
    this.backlog = queue.pendingSeqs();
  }

  async next(): Promise<readonly Delivery[] | undefined> {
    while (!this.closed) {
      this.backlog = this.backlog.filter((seq) => this.queue.isPending(seq));
      const taken = this.backlog.length > 0 ? [] : this.queue.take();
      if (taken.length > 0) return taken.map(this.toDelivery);
      await this.queue.changed();
    }
    return undefined;
  }

  /** Returns the messages to the queue, which hands them out again first (its returns are never lost). */
  retry(batch: readonly Delivery[]): void {
    batch.filter((d) => !isSettled(d)).forEach((d) => d.nak());
  }

  close(): Promise<void> {
    this.closed = true;
    this.queue.notify();
    return Promise.resolve();
  }
}

/**
 * A consumer group of one in-process stream: per-partition delivery state shared by the
 * members, and the owner of each partition. Membership changes rebalance at once (a member
 * that is killed is noticed immediately, its unacked messages wait for `ackWaitMs`).
 */
export class InProcessGroup {
  private readonly queues: PartitionQueue[];
  private readonly members = new Map<string, PartitionSession>();
  private readonly owners = new Map<number, string>();
  private limits: ConsumerLimits;
  private chain: Promise<void> = Promise.resolve();
  private readonly stopAppend: () => void;

  constructor(
    private readonly name: StreamName,
    stream: InProcessStream,
    partitions: number,
    private readonly logger: TransportLogger,
    limits: ConsumerLimits,
  ) {
    this.limits = limits;
    this.queues = Array.from(
      { length: partitions },
      (_, p) => new PartitionQueue(stream, p, () => this.limits),
    );
    this.stopAppend = stream.onAppend((m) => this.queues[m.partition]?.notify());
  }

  /** Adds a member; its partitions are assigned in the background. */
  join(id: string, options: ConsumeOptions): PartitionSession {
    this.limits = {
      maxBatch: options.maxBatch,
      ackWaitMs: options.ackWaitMs,
      maxDeliver: options.maxDeliver,
    };
    const session = new PartitionSession({
      consume: options,
      logger: this.logger,
      openFeed: (p) => Promise.resolve(this.feedOf(p)),
    });
    this.members.set(id, session);
    this.rebalanceSoon();
    return session;
  }

  /** Removes a member after its in-flight batches (graceful stop). */
  async leave(id: string): Promise<void> {
    const session = this.members.get(id);
    if (!session) return;
    this.members.delete(id);
    await session.stop();
    this.disown(id);
    this.rebalanceSoon();
    await this.chain;
  }

  /** Removes a member at once, as if its process had died: nothing is acked or released gracefully. */
  kill(id: string): void {
    const session = this.members.get(id);
    this.members.delete(id);
    session?.stop().catch(() => undefined);
    this.disown(id);
    this.rebalanceSoon();
  }

  /** Messages the group has not finished, over every partition. */
  lag(): number {
    return this.queues.reduce((sum, queue) => sum + queue.lag(), 0);
  }

  dispose(): void {
    this.stopAppend();
    this.queues.forEach((q) => q.dispose());
  }

  private feedOf(partition: number): PartitionFeed {
    const queue = this.queues[partition] as PartitionQueue;
    return new QueueFeed(queue, ({ message, deliveryCount }) =>
      createDelivery(
        { ...message, stream: this.name, deliveryCount },
        {
          ack: () => Promise.resolve(queue.ack(message.seq)),
          nak: (delayMs) => queue.nak(message.seq, delayMs),
          term: () => queue.term(message.seq),
        },
      ),
    );
  }

  private disown(id: string): void {
    for (const [p, owner] of this.owners) if (owner === id) this.owners.delete(p);
  }

  private rebalanceSoon(): void {
    this.chain = this.chain.then(() => this.rebalance());
  }

  private async rebalance(): Promise<void> {
    const ids = [...this.members.keys()];
    const plan = (me: string) =>
      planAssignment({ partitions: this.queues.length, members: ids, me, owners: this.owners });
    for (const [id, session] of this.members) {
      const { release } = plan(id);
      if (release.length === 0) continue;
      await session.lose(release);
      release.forEach((p) => this.owners.delete(p));
    }
    for (const [id, session] of this.members) {
      const { acquire } = plan(id);
      if (acquire.length === 0) continue;
      acquire.forEach((p) => this.owners.set(p, id));
      await session.gain(acquire).catch((error: unknown) => this.gainFailed(acquire, error));
    }
  }

  private gainFailed(partitions: readonly number[], error: unknown): void {
    this.logger.error('onAssignment failed; partitions will be offered again', error);
    partitions.forEach((p) => this.owners.delete(p));
    setTimeout(() => this.rebalanceSoon(), 1000).unref();
  }
}
