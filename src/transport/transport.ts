/**
 * The message transport between the API and the workers: durable, partitioned streams with
 * at-least-once delivery, explicit acks and one owner per partition within a consumer group.
 *
 * Two implementations pass the same conformance suite (`transport.conformance.test.ts`):
 * in-process (embedded mode) and NATS JetStream (distributed mode).
 */

/** The streams the platform uses: accepted input, results, dead letters. */
export type StreamName = 'transactions' | 'decisions' | 'dlq';

/** Every stream, in a stable order. */
export const STREAM_NAMES: readonly StreamName[] = ['transactions', 'decisions', 'dlq'];

export interface PublishOptions {
  /** Partition key, e.g. the account id: one key always lands on the same partition. Any string. */
  readonly key: string;
  /** Dedupe id: a second publish with the same id within the window is a no-op reporting `duplicate`. */
  readonly msgId?: string;
  /** Names of printable ASCII without a colon; values without line breaks or spaces at their ends (else `VALIDATION_FAILED`). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** Where a publish was stored; `duplicate` when its `msgId` was already stored within the window. */
export interface PublishResult {
  readonly seq: number;
  readonly duplicate: boolean;
}

/** One message handed to a consumer (or to a listener, or returned by `read`). */
export interface Delivery {
  readonly stream: StreamName;
  readonly partition: number;
  /** Stream sequence: unique, increasing in arrival order. */
  readonly seq: number;
  /** 1 on first delivery; always 1 for `subscribe` and `read`. */
  readonly deliveryCount: number;
  /** The partition key the message was published with. */
  readonly key: string;
  readonly data: Uint8Array;
  readonly headers: Readonly<Record<string, string>>;
  /** The data parsed as JSON; throws on invalid JSON. */
  json<T>(): T;
  /** Resolves when the server has the ack. A no-op for `subscribe` and `read` deliveries. */
  ack(): Promise<void>;
  /** Redeliver (after `delayMs`), unless `maxDeliver` is reached. */
  nak(delayMs?: number): void;
  /** Never redeliver. */
  term(): void;
}

/** What a stream holds and, for a consumer group, how far behind that group is. */
export interface StreamStats {
  /** Messages stored in the stream now. */
  readonly messages: number;
  /** With a group: messages the group has not yet acked (undelivered, in flight or due for redelivery). */
  readonly lag?: number;
}

export interface ConsumeOptions {
  /** Consumer group, e.g. 'workers': each partition is owned by one member of the group at a time. */
  readonly group: string;
  /** Most messages in one batch; also the most unacked messages of a partition (so order holds). */
  readonly maxBatch: number;
  /** An unacked message is redelivered this long after its delivery. */
  readonly ackWaitMs: number;
  /** A message is delivered at most this many times. */
  readonly maxDeliver: number;
  /**
   * Ordered batches of ONE partition; the next batch of that partition is not delivered before
   * this promise settles. When it rejects, the batch's unsettled messages are delivered again,
   * before anything after them, once the partition has paused (1 s, doubling with each failure
   * in a row, at most half of `ackWaitMs`). Reject with {@link RetryBatch} when the handler has
   * logged the failure itself; any other rejection is logged as a handler failure.
   */
  readonly handler: (batch: readonly Delivery[], partition: number) => Promise<void>;
  /** Awaited before the first batch of newly owned partitions is delivered (the worker loads per-account state there), and when partitions are lost. */
  readonly onAssignment?: (
    owned: readonly number[],
    gained: readonly number[],
    lost: readonly number[],
  ) => Promise<void>;
}

export interface ConsumerHandle {
  /** The partitions this member owns now, ascending. */
  owned(): readonly number[];
  /** Stop fetching, finish the in-flight batch, release partitions. */
  stop(): Promise<void>;
}

export interface Transport {
  readonly kind: 'in-process' | 'jetstream';
  readonly partitions: number;
  /** Stable hash (FNV-1a) of `key` modulo `partitions`. */
  partitionOf(key: string): number;
  /** Resolves only once the message is durably stored (for in-process: stored in this process). */
  publish(stream: StreamName, payload: Uint8Array | object, options: PublishOptions): Promise<PublishResult>;
  /** Joins the consumer group `options.group` of `stream`; resolves once the member is registered. */
  consume(stream: StreamName, options: ConsumeOptions): Promise<ConsumerHandle>;
  /** Live fan-out of messages published after the returned promise resolves; not durable, no acks. Resolves to the unsubscribe function. */
  subscribe(stream: StreamName, listener: (d: Delivery) => void): Promise<() => void>;
  /** Browse stored messages from `fromSeq` (default: the first), at most `limit`. */
  read(stream: StreamName, options: { fromSeq?: number; limit: number }): Promise<Delivery[]>;
  /** Counts the stream's messages and, with `group`, that group's lag (for metrics and readiness). */
  stats(stream: StreamName, group?: string): Promise<StreamStats>;
  /** Removes one message; `NOT_FOUND` if there is none at `seq`. */
  delete(stream: StreamName, seq: number): Promise<void>;
  close(): Promise<void>;
}

/** A handler's request to have its batch delivered again after a pause (see `ConsumeOptions.handler`). */
export class RetryBatch extends Error {
  constructor(reason: string, options?: { cause?: unknown }) {
    super(reason, options);
    this.name = 'RetryBatch';
  }
}

/** Where the transports report failures they recover from (a handler that threw, a lost connection). */
export interface TransportLogger {
  warn(message: string, error?: unknown): void;
  error(message: string, error?: unknown): void;
}

/** Logs to the console. */
export const consoleLogger: TransportLogger = {
  warn: (message, error) => console.warn(message, error ?? ''),
  error: (message, error) => console.error(message, error ?? ''),
};
