import {
  AckPolicy,
  DeliverPolicy,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type ConsumerInfo,
  type JsMsg,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import type { PartitionFeed } from '../partition-session.js';
import { isSettled } from '../delivery.js';
import type { ConsumeOptions, Delivery, StreamName } from '../transport.js';
import { AckBatcher } from './ack-batcher.js';
import { consumerDelivery } from './jetstream-delivery.js';
import type { JetStreamNames } from './jetstream-names.js';
import type { ReplyInbox } from './reply-inbox.js';

export interface FeedContext {
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** Where ack confirmations come back. */
  readonly inbox: ReplyInbox;
  readonly names: JetStreamNames;
  readonly stream: StreamName;
  readonly options: ConsumeOptions;
}

/**
 * Creates (or updates) the durable pull consumer of one (group, partition): explicit acks,
 * and at most `maxBatch` unacked messages, so a partition's messages are handed out in order.
 */
export async function ensureConsumer(context: FeedContext, partition: number): Promise<ConsumerInfo> {
  const { jsm, names, stream, options } = context;
  const durable = names.durable(options.group, partition);
  const limits = {
    ack_wait: nanos(options.ackWaitMs),
    max_deliver: options.maxDeliver,
    max_ack_pending: options.maxBatch,
  };
  const existing = await jsm.consumers.info(names.stream(stream), durable).catch(() => undefined);
  if (!existing) {
    return jsm.consumers.add(names.stream(stream), {
      durable_name: durable,
      filter_subject: names.subject(stream, partition),
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...limits,
    });
  }
  if (Object.entries(limits).some(([k, v]) => existing.config[k as keyof typeof limits] !== v))
    return jsm.consumers.update(names.stream(stream), durable, limits);
  return existing;
}

/**
 * Messages a previous owner left unacked: `count` of them, all at or below `upToSeq`. They
 * come back one by one as their ack waits expire, in expiry order, so the feed holds them
 * (and anything newer) until all are back or `deadline` passes, then hands them out sorted.
 */
interface Backlog {
  readonly count: number;
  readonly upToSeq: number;
  readonly deadline: number;
}

/**
 * Deliveries the server made that never arrived (a jump in the consumer sequence): after a
 * connection loss, or sent to a pull of the partition's previous owner. The server sends them
 * again when their ack wait expires; until `count` redeliveries have come, or `deadline`
 * passes, nothing is handed out, as they may come before what is buffered.
 */
interface Lost {
  count: number;
  readonly deadline: number;
}

/**
 * A fetched message; `count` is its delivery count: the highest the server gave it (it may send
 * it twice) or, after the feed took it back from a failed batch, one more than it was handed out with.
 */
interface Buffered {
  readonly msg: JsMsg;
  readonly count: number;
}

/** A message of the batch handed out last, and how far its ack has gone. */
interface HandedOut extends Buffered {
  /** `ack()` was called: the message was not returned (nak) or dead-lettered (term). */
  acking: boolean;
  /** The server confirmed the ack. */
  acked: boolean;
}

/**
 * One partition's durable consumer, pulled continuously into a local buffer; `next()` hands
 * out everything buffered (up to `maxBatch`) as one batch. The client library re-issues pulls
 * after a reconnect; closing returns buffered messages that were never handed out.
 *
 * A failed batch's messages are taken back into the buffer, not returned to the server: a
 * return (nak) sent while the connection is down is lost, and the server then sends the
 * message again only when its ack wait expires, after later messages it sends meanwhile,
 * which the partition's next batch would hand out first (a NATS restart made a worker decide
 * transactions after later ones of the same account). Buffered messages are kept from
 * expiring meanwhile.
 */
export class JetStreamFeed implements PartitionFeed {
  /** Fetched messages not handed out yet, by stream sequence (a redelivery replaces its entry). */
  private readonly buffer = new Map<number, Buffered>();
  /** The last batch handed out, by stream sequence: what {@link retry} may take back. */
  private handedOut = new Map<number, HandedOut>();
  private readonly acks: AckBatcher;
  private wake: (() => void) | undefined;
  private closed = false;
  private ended = false;
  private messages: ConsumerMessages | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  private lost: Lost | undefined;

  private constructor(
    private readonly context: FeedContext,
    private backlog: Backlog | undefined,
    /** The consumer sequence of the last delivery: each delivery the server makes takes the next. */
    private lastDelivery: number,
  ) {
    this.acks = new AckBatcher(context.inbox);
  }

  static async open(context: FeedContext, partition: number): Promise<JetStreamFeed> {
    const info = await ensureConsumer(context, partition);
    const consumer = await context.js.consumers.get(context.names.stream(context.stream), info.name);
    const backlog = info.num_ack_pending > 0 && {
      count: info.num_ack_pending,
      upToSeq: info.delivered.stream_seq,
      deadline: Date.now() + context.options.ackWaitMs + 1_000,
    };
    const feed = new JetStreamFeed(context, backlog || undefined, info.delivered.consumer_seq);
    feed.messages = await consumer.consume({
      max_messages: context.options.maxBatch,
      expires: 5_000,
      callback: (msg) => feed.push(msg),
    });
    feed.holdTimer = setInterval(() => feed.holdBuffered(), context.options.ackWaitMs / 3).unref();
    const end = () => {
      feed.ended = true;
      feed.signal();
    };
    feed.messages.closed().then(end, end);
    return feed;
  }

  async next(): Promise<readonly Delivery[] | undefined> {
    while (!this.ready()) {
      if (this.closed || this.ended) return undefined;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    // In stream order: messages taken back from a failed batch, redeliveries and what was
    // fetched after them arrive in any order.
    const batch = [...this.buffer.values()]
      .sort((a, b) => a.msg.seq - b.msg.seq)
      .slice(0, this.context.options.maxBatch)
      .map((b): HandedOut => ({ ...b, acking: false, acked: false }));
    this.handedOut = new Map(batch.map((b) => [b.msg.seq, b]));
    for (const { msg } of batch) this.buffer.delete(msg.seq);
    return batch.map((held) =>
      consumerDelivery(this.context.stream, held.msg, held.count, () => this.ack(held)),
    );
  }

  /**
   * Keeps the batch's messages that are neither acked (confirmed by the server: an ack sent
   * but not confirmed may be lost) nor returned or dead-lettered by the handler; one at its
   * `maxDeliver`-th delivery is dropped (`term`), as the server would. After {@link close}
   * they go back to the server.
   */
  retry(batch: readonly Delivery[]): void {
    for (const delivery of batch) {
      const held = this.handedOut.get(delivery.seq);
      if (!held || held.acked || (isSettled(delivery) && !held.acking)) continue;
      if (this.closed) held.msg.nak();
      else if (held.count >= this.context.options.maxDeliver) held.msg.term();
      else this.keep(held);
    }
    this.handedOut.clear();
  }

  private keep(held: HandedOut): void {
    const again = this.buffer.get(held.msg.seq); // the server's redelivery, if it came meanwhile
    this.buffer.set(held.msg.seq, {
      msg: again?.msg ?? held.msg,
      count: Math.max(held.count + 1, again?.count ?? 0),
    });
    held.msg.working();
  }

  private async ack(held: HandedOut): Promise<void> {
    held.acking = true;
    await this.acks.ack(held.msg);
    held.acked = true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.holdTimer);
    this.signal();
    await this.messages?.close().catch(() => undefined);
    const buffered = [...this.buffer.values()];
    this.buffer.clear();
    buffered.forEach(({ msg }) => msg.nak());
  }

  private ready(): boolean {
    if (this.buffer.size === 0) return false;
    if (this.lost && this.lost.count > 0 && Date.now() < this.lost.deadline) return false;
    this.lost = undefined;
    const backlog = this.backlog;
    if (!backlog) return true;
    const back = [...this.buffer.keys()].filter((seq) => seq <= backlog.upToSeq).length;
    if (back < backlog.count && Date.now() < backlog.deadline) return false;
    this.backlog = undefined;
    return true;
  }

  /**
   * Keeps buffered messages from expiring (held for a backlog or after a failed batch), and
   * wakes `next()` for a backlog's deadline.
   */
  private holdBuffered(): void {
    for (const { msg } of this.buffer.values()) msg.working();
    this.signal();
  }

  /** Buffers `msg`; a second delivery of a buffered message replaces it (one ack settles both). */
  private push(msg: JsMsg): void {
    if (this.closed) return msg.nak();
    this.countDelivery(msg);
    const count = Math.max(msg.info.deliveryCount, this.buffer.get(msg.seq)?.count ?? 0);
    this.buffer.set(msg.seq, { msg, count });
    this.signal();
  }

  /** Whether the feed has message `seq` already: buffered, or in the batch handed out last. */
  private holds(seq: number): boolean {
    return this.buffer.has(seq) || this.handedOut.has(seq);
  }

  /** Notes deliveries lost before `msg`, or `msg` as one of them coming back (not one the feed holds). */
  private countDelivery(msg: JsMsg): void {
    const { deliverySequence, deliveryCount } = msg.info;
    const missed = deliverySequence - this.lastDelivery - 1;
    this.lastDelivery = deliverySequence; // a server whose state went back (a restart) starts lower
    if (missed > 0) {
      const deadline = Date.now() + this.context.options.ackWaitMs + 1_000;
      this.lost = { count: (this.lost?.count ?? 0) + missed, deadline };
    } else if (this.lost && deliveryCount > 1 && !this.holds(msg.seq)) {
      this.lost.count--;
    }
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }
}
