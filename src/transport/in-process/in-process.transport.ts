import { randomUUID } from 'node:crypto';
import { AppError } from '../../errors.js';
import { partitionOf } from '../../shared/partition.js';
import {
  assertConsumeOptions,
  assertPartitions,
  createDelivery,
  encodePayload,
  headersError,
  NO_SETTLE,
} from '../delivery.js';
import {
  consoleLogger,
  STREAM_NAMES,
  type ConsumeOptions,
  type ConsumerHandle,
  type Delivery,
  type PublishOptions,
  type PublishResult,
  type StreamName,
  type StreamStats,
  type Transport,
  type TransportLogger,
} from '../transport.js';
import { InProcessGroup } from './in-process-group.js';
import { InProcessStream, type StoredMessage } from './in-process-stream.js';

export interface InProcessTransportOptions {
  readonly partitions: number;
  /** Dedupe window for `msgId`. Default 2 minutes (as JetStream). */
  readonly duplicateWindowMs?: number;
  /** Oldest messages of a stream beyond this count are dropped. Default 1,000,000. */
  readonly maxMessages?: number;
  /** Default: the console. */
  readonly logger?: TransportLogger;
}

/** A consumer of the in-process transport; `kill()` simulates the crash of its process. */
export interface InProcessConsumerHandle extends ConsumerHandle {
  /** Leaves the group at once: nothing finished or released gracefully; unacked messages wait for `ackWaitMs`. */
  kill(): void;
}

/**
 * The embedded transport: streams in memory, with the same delivery semantics as JetStream
 * (ack wait timers, redelivery up to `maxDeliver`, per-partition order, one owner per
 * partition among the `consume()` calls of a group in this process).
 *
 * Durability is the process: "durably stored" means stored in this process's memory, and
 * everything is lost when it exits. Embedded mode keeps its durable state in SQLite.
 *
 * @example
 * const transport = new InProcessTransport({ partitions: 16 });
 * await transport.publish('transactions', tx, { key: tx.account_id, msgId: tx.transaction_id });
 */
export class InProcessTransport implements Transport {
  readonly kind = 'in-process' as const;
  readonly partitions: number;
  private readonly streams: Record<StreamName, InProcessStream>;
  private readonly groups = new Map<string, InProcessGroup>();
  private readonly handles = new Set<ConsumerHandle>();
  private readonly logger: TransportLogger;
  private closed = false;

  constructor(options: InProcessTransportOptions) {
    assertPartitions(options.partitions);
    this.partitions = options.partitions;
    this.logger = options.logger ?? consoleLogger;
    const streamOptions = {
      partitions: options.partitions,
      duplicateWindowMs: options.duplicateWindowMs ?? 120_000,
      maxMessages: options.maxMessages ?? 1_000_000,
    };
    this.streams = Object.fromEntries(
      STREAM_NAMES.map((name) => [name, new InProcessStream(streamOptions)]),
    ) as Record<StreamName, InProcessStream>;
  }

  partitionOf(key: string): number {
    return partitionOf(key, this.partitions);
  }

  /** Rejects, as JetStream does, headers that JetStream cannot carry (see {@link headersError}). */
  publish(stream: StreamName, payload: Uint8Array | object, options: PublishOptions): Promise<PublishResult> {
    this.assertOpen();
    const invalid = headersError(options.headers);
    if (invalid) return Promise.reject(invalid);
    const message = {
      partition: this.partitionOf(options.key),
      key: options.key,
      data: encodePayload(payload),
      headers: { ...options.headers },
    };
    return Promise.resolve(this.streams[stream].append(message, options.msgId));
  }

  consume(stream: StreamName, options: ConsumeOptions): Promise<InProcessConsumerHandle> {
    this.assertOpen();
    assertConsumeOptions(options);
    const group = this.groupOf(stream, options);
    const id = randomUUID();
    const session = group.join(id, options);
    const handle: InProcessConsumerHandle = {
      owned: () => session.owned(),
      stop: async () => {
        this.handles.delete(handle);
        await group.leave(id);
      },
      kill: () => {
        this.handles.delete(handle);
        group.kill(id);
      },
    };
    this.handles.add(handle);
    return Promise.resolve(handle);
  }

  subscribe(stream: StreamName, listener: (d: Delivery) => void): Promise<() => void> {
    this.assertOpen();
    const unsubscribe = this.streams[stream].onAppend((message) => {
      const delivery = this.browsed(stream, message);
      queueMicrotask(() => {
        try {
          listener(delivery);
        } catch (error) {
          this.logger.error(`${stream} listener failed`, error);
        }
      });
    });
    return Promise.resolve(() => void unsubscribe());
  }

  read(stream: StreamName, options: { fromSeq?: number; limit: number }): Promise<Delivery[]> {
    const messages = this.streams[stream].range(options.fromSeq ?? 1, options.limit);
    return Promise.resolve(messages.map((m) => this.browsed(stream, m)));
  }

  stats(stream: StreamName, group?: string): Promise<StreamStats> {
    const messages = this.streams[stream].size;
    if (group === undefined) return Promise.resolve({ messages });
    const lag = this.groups.get(`${stream}/${group}`)?.lag() ?? messages;
    return Promise.resolve({ messages, lag });
  }

  delete(stream: StreamName, seq: number): Promise<void> {
    if (!this.streams[stream].delete(seq))
      return Promise.reject(new AppError('NOT_FOUND', `No message ${seq} in stream '${stream}'.`));
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.handles].map((h) => h.stop()));
    this.groups.forEach((g) => g.dispose());
  }

  private groupOf(stream: StreamName, options: ConsumeOptions): InProcessGroup {
    const id = `${stream}/${options.group}`;
    let group = this.groups.get(id);
    if (!group) {
      group = new InProcessGroup(stream, this.streams[stream], this.partitions, this.logger, options);
      this.groups.set(id, group);
    }
    return group;
  }

  private browsed(stream: StreamName, message: StoredMessage): Delivery {
    return createDelivery({ ...message, stream, deliveryCount: 1 }, NO_SETTLE);
  }

  private assertOpen(): void {
    if (this.closed) throw new AppError('INTERNAL', 'The transport is closed.');
  }
}
