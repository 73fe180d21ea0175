import { performance } from 'node:perf_hooks';
import { AppError } from '../errors.js';
import { RetryBatch, type ConsumerHandle, type Delivery, type Transport } from '../transport/transport.js';
import { GroupCommit } from '../shared/group-commit.js';
import { storeUnavailableError } from '../store/store-errors.js';
import type { BatchDecider, DecisionRequest } from './batch-decider.js';
import type { DecisionResult } from './decision.js';
import { parseTransaction } from './transaction.js';

/** Decisions per `decisions` message (a decision is about 1 KB of JSON). */
export const DECISIONS_PER_MESSAGE = 200;

/** What the API publishes on the `transactions` stream. */
export interface TransactionMessage {
  /** The payload as received, with `transaction_id` filled in. */
  readonly transaction: Readonly<Record<string, unknown>>;
  /** Wall-clock arrival at the API, ms since the epoch. */
  readonly received_at: number;
}

/** What workers publish on the `decisions` stream: the decisions of one batch, durable already. */
export interface DecisionBatch {
  readonly decisions: readonly DecisionResult[];
  /** When the batch's commit returned: wall clock, ms since the epoch, with fractions. */
  readonly stored_at: number;
}

/** What a dead letter holds: enough to understand the failure and replay the message. */
export interface DeadLetter {
  readonly payload: string;
  readonly error: string;
  readonly stage: 'parse' | 'validate' | 'decide';
  readonly attempts: number;
  readonly partition: number;
  readonly seq: number;
  readonly failed_at: string;
}

/** What a worker needs of the {@link BatchDecider}. */
export type WorkerDecider = Pick<BatchDecider, 'decide' | 'loadPartitions' | 'dropPartitions'>;

export interface WorkerOptions {
  readonly transport: Transport;
  readonly decider: WorkerDecider;
  readonly defaultCurrency: string;
  /** Most messages of one partition decided and committed together. Default 500. */
  readonly maxBatch?: number;
  /** Deliveries of one message before it goes to the dead-letter stream. Default 5. */
  readonly maxDeliver?: number;
  /** How long a delivered message may stay unacknowledged before redelivery. Default 30 s. */
  readonly ackWaitMs?: number;
  readonly log?: (message: string, detail?: unknown) => void;
}

interface Valid {
  readonly delivery: Delivery;
  readonly request: DecisionRequest;
}

/** The publish of a stored decision's `decisions` message (awaited before the ack). */
type Published = Promise<void>;

/**
 * The transport's own delivery limit: in effect none (at the longest retry pause, 30 s, about
 * a year of redeliveries). The worker decides when a message is dead-lettered.
 */
const TRANSPORT_MAX_DELIVER = 1_000_000;

/**
 * A failure of the store, not of the messages: it cannot be reached, or is busy. The store
 * reports every failed write as STORE_UNAVAILABLE, so its cause decides: a write the store
 * refused (a sequence held by another id, a value it cannot take) is the messages' failure,
 * which counts toward `dlq`.
 */
function isStoreOutage(error: unknown): boolean {
  if (!(error instanceof AppError)) return storeUnavailableError(error) !== undefined;
  if (error.code !== 'STORE_UNAVAILABLE') return false;
  return error.cause === undefined || isStoreOutage(error.cause);
}

/** The consumer group of `centinela worker` on the `transactions` stream. */
export const WORKER_GROUP = 'workers';

/**
 * A stream worker: consumes the partitions it owns from `transactions`, decides each batch
 * with the shared {@link BatchDecider} (exactly the embedded computation), stores it,
 * publishes the decisions and only then acknowledges. Poison messages go to `dlq`.
 */
export class TransactionWorker {
  private handle: ConsumerHandle | undefined;
  private readonly maxDeliver: number;

  /**
   * One decide (one store commit) and one publish of the decisions for the batches of all
   * owned partitions that are waiting. The publish is not part of the run: the next run's
   * batches are decided while it travels.
   */
  private readonly commits: GroupCommit<DecisionRequest, Published>;

  constructor(private readonly options: WorkerOptions) {
    this.maxDeliver = options.maxDeliver ?? 5;
    this.commits = new GroupCommit(
      (requests) => this.decideAndStartPublishing(requests),
      Math.max(1000, options.maxBatch ?? 500),
    );
  }

  async start(): Promise<void> {
    const { transport, decider } = this.options;
    this.handle = await transport.consume('transactions', {
      group: WORKER_GROUP,
      maxBatch: this.options.maxBatch ?? 500,
      ackWaitMs: this.options.ackWaitMs ?? 30_000,
      // The worker dead-letters a message that fails on its own on its maxDeliver-th delivery;
      // the transport must never stop delivering one before, as a message also comes back
      // without failing on its own (returned on a stop or a rebalance, or through a store outage
      // of any length): at its own limit the transport drops a message, which then reaches
      // neither a decision nor dlq.
      maxDeliver: TRANSPORT_MAX_DELIVER,
      handler: (batch) => this.handleBatch(batch),
      onAssignment: async (owned, gained, lost) => {
        await decider.dropPartitions(lost);
        await decider.loadPartitions(gained);
        this.options.log?.(`owns partitions ${owned.join(',') || '(none)'}`);
      },
    });
  }

  /** Partitions this worker owns now. */
  owned(): readonly number[] {
    return this.handle?.owned() ?? [];
  }

  /** Stops fetching, finishes the batch in flight and releases the partitions. */
  async stop(): Promise<void> {
    await this.handle?.stop();
  }

  /**
   * Decides, stores, publishes and acks one partition's batch. A failed message holds its
   * partition back until it succeeds or goes to `dlq`: the transport delivers it again before
   * anything after it, as the velocity windows of the account's later transactions must count
   * it (a batch redelivered after later ones were decided left their features one short).
   */
  private async handleBatch(batch: readonly Delivery[]): Promise<void> {
    const valid: Valid[] = [];
    for (const delivery of batch) {
      const parsed = this.parse(delivery);
      if ('request' in parsed) valid.push({ delivery, request: parsed.request });
      else await this.deadLetter(delivery, parsed.stage, parsed.error);
    }
    if (valid.length === 0) return;
    try {
      await this.decideAndAck(valid, (requests) => this.commits.run(requests));
    } catch (error) {
      // A store outage fails every message alike; anything else may be one bad message: isolate
      // it, deciding each message on its own (outside the group commit, so no other partition's
      // messages share its fate), in order, up to the first that fails.
      if (isStoreOutage(error)) return this.retryOrDeadLetter(valid, error);
      const alone = (requests: DecisionRequest[]) => this.decideAndStartPublishing(requests);
      for (const one of valid) {
        try {
          await this.decideAndAck([one], alone);
        } catch (e) {
          await this.retryOrDeadLetter([one], e);
        }
      }
    }
  }

  /** Acks a batch once its decisions are stored and published. */
  private async decideAndAck(
    valid: readonly Valid[],
    decide: (requests: DecisionRequest[]) => Promise<Published[]>,
  ): Promise<void> {
    const published = await decide(valid.map((v) => v.request));
    await Promise.all(new Set(published));
    await Promise.all(valid.map((v) => v.delivery.ack()));
  }

  /**
   * Decides and stores `requests`, and starts publishing their decisions. A batch whose
   * publish fails is not acked, so it is delivered again: replays of stored decisions, which
   * are published again.
   */
  private async decideAndStartPublishing(requests: DecisionRequest[]): Promise<Published[]> {
    const outcomes = await this.options.decider.decide(requests);
    const published = this.publishDecisions(
      outcomes.map((o) => o.result),
      performance.timeOrigin + performance.now(),
    );
    published.catch(() => undefined); // the callers await it; this keeps it from counting as unhandled
    return requests.map(() => published);
  }

  private parse(
    delivery: Delivery,
  ): { request: DecisionRequest } | { stage: 'parse' | 'validate'; error: string } {
    let message: TransactionMessage;
    try {
      message = delivery.json<TransactionMessage>();
    } catch (error) {
      return { stage: 'parse', error: error instanceof Error ? error.message : String(error) };
    }
    const parsed = parseTransaction(message?.transaction, {
      currency: this.options.defaultCurrency,
      now: Number(message?.received_at) || Date.now(),
      refuseFuture: true,
    });
    if (!parsed.ok) return { stage: 'validate', error: JSON.stringify(parsed.errors) };
    return {
      request: {
        tx: parsed.value,
        arrivedAt: performance.now(),
        receivedAt: Number(message.received_at) || Date.now(),
        seq: delivery.seq,
      },
    };
  }

  /**
   * Few messages per group commit: a JetStream publish is a request, so per-decision (or
   * per-partition) messages cost more than deciding. Split to stay well under NATS's 1 MB
   * message limit.
   */
  private async publishDecisions(results: readonly DecisionResult[], storedAt: number): Promise<void> {
    const publishes = [];
    for (let i = 0; i < results.length; i += DECISIONS_PER_MESSAGE) {
      const decisions = results.slice(i, i + DECISIONS_PER_MESSAGE);
      const message: DecisionBatch = { decisions, stored_at: storedAt };
      publishes.push(
        this.options.transport.publish('decisions', message, { key: decisions[0]?.account_id ?? '' }),
      );
    }
    await Promise.all(publishes);
  }

  /**
   * A failed batch: messages delivered `maxDeliver` times go to `dlq`; if any other is left,
   * throws {@link RetryBatch}, so the transport delivers the batch's unsettled messages again,
   * after a pause and before anything after them. A store outage is no fault of the messages:
   * they are delivered again for as long as it lasts, never dead-lettered for it.
   */
  private async retryOrDeadLetter(valid: readonly Valid[], error: unknown): Promise<void> {
    const reason = error instanceof AppError ? `${error.code}: ${error.message}` : String(error);
    this.options.log?.(`batch failed: ${reason}`, error);
    const spent = isStoreOutage(error)
      ? []
      : valid.filter((v) => v.delivery.deliveryCount >= this.maxDeliver);
    for (const { delivery } of spent) await this.deadLetter(delivery, 'decide', reason);
    if (spent.length < valid.length) throw new RetryBatch(reason, { cause: error });
  }

  private async deadLetter(delivery: Delivery, stage: DeadLetter['stage'], error: string): Promise<void> {
    const letter: DeadLetter = {
      payload: Buffer.from(delivery.data).toString('utf8'),
      error,
      stage,
      attempts: delivery.deliveryCount,
      partition: delivery.partition,
      seq: delivery.seq,
      failed_at: new Date().toISOString(),
    };
    await this.options.transport.publish('dlq', letter, {
      key: String(delivery.partition),
      msgId: `dlq-${delivery.seq}`,
    });
    delivery.term();
  }
}
