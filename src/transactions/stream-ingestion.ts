import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import type { Transport } from '../transport/transport.js';
import type { DecisionOutcome } from './batch-decider.js';
import type { DecisionResult } from './decision.js';
import { notify, type Backlog, type DecisionListener, type Ingestion } from './ingestion.js';
import { findTransaction, storePending } from './transaction.repository.js';
import type { TransactionInput } from './transaction.js';
import { decisionOf, rowOf } from './transaction.view.js';
import { WORKER_GROUP, type DecisionBatch, type TransactionMessage } from './transaction.worker.js';

interface Waiter {
  readonly resolve: (result: DecisionResult) => void;
}

/**
 * Distributed mode, API side: transactions are published (durably) to the `transactions`
 * stream, partitioned by account; workers decide them. A synchronous request waits for its
 * decision on the `decisions` stream; an async one answers once the stream has it.
 */
export class StreamIngestion implements Ingestion {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly listeners = new Set<DecisionListener>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly transport: Transport,
    private readonly options: { readonly decisionTimeoutMs: number },
  ) {}

  async init(): Promise<void> {
    this.unsubscribe = await this.transport.subscribe('decisions', (delivery) => {
      const { decisions } = delivery.json<DecisionBatch>();
      for (const result of decisions) {
        for (const waiter of this.waiters.get(result.transaction_id) ?? []) waiter.resolve(result);
        this.waiters.delete(result.transaction_id);
      }
      notify(this.listeners, decisions);
    });
  }

  async submit(tx: TransactionInput): Promise<DecisionOutcome> {
    const stored = await findTransaction(this.db, tx.transaction_id);
    const prior = stored && decisionOf(stored);
    if (prior) return { result: prior, replayed: true };
    const decided = this.waitFor(tx.transaction_id);
    await this.publish(tx);
    return { result: await decided, replayed: false };
  }

  async accept(tx: TransactionInput): Promise<{ status: 'pending' | 'decided' }> {
    const stored = await findTransaction(this.db, tx.transaction_id);
    if (stored) return { status: stored.status };
    const { seq } = await this.publish(tx);
    const arrival = { seq, receivedAt: Date.now(), partition: this.transport.partitionOf(tx.account_id) };
    await storePending(this.db, [rowOf(tx, null, arrival)]);
    return { status: 'pending' };
  }

  subscribe(listener: DecisionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The workers' lag on `transactions` and the messages in `dlq`, read from the stream server. */
  async backlog(): Promise<Backlog> {
    const [input, deadLetters] = await Promise.all([
      this.transport.stats('transactions', WORKER_GROUP),
      this.transport.stats('dlq'),
    ]);
    return { lag: input.lag ?? 0, deadLetters: deadLetters.messages };
  }

  idle(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.unsubscribe?.();
    return Promise.resolve();
  }

  private publish(tx: TransactionInput): Promise<{ seq: number }> {
    const message: TransactionMessage = {
      transaction: { ...tx.raw, transaction_id: tx.transaction_id },
      // A payload without timestamp was timed at arrival: keep that time for the worker.
      received_at: tx.raw.timestamp === undefined || tx.raw.timestamp === null ? tx.time : Date.now(),
    };
    return this.transport.publish('transactions', message, { key: tx.account_id, msgId: tx.transaction_id });
  }

  private waitFor(id: string): Promise<DecisionResult> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(
          new AppError(
            'DECISION_TIMEOUT',
            'No decision yet; the transaction is accepted and will be decided.',
            {
              details: { transaction_id: id, status: 'pending' },
            },
          ),
        );
      }, this.options.decisionTimeoutMs);
      const waiter = {
        resolve: (result: DecisionResult) => {
          clearTimeout(timer);
          resolve(result);
        },
      };
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), waiter]);
    });
  }
}
