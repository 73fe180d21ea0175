import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import type { Transport } from '../transport/transport.js';
import type { DecisionOutcome } from './batch-decider.js';
import type { DecisionResult } from './decision.js';
import {
  ACCEPT_BATCH,
  notify,
  sortOutAccepted,
  type Backlog,
  type DecisionListener,
  type Ingestion,
  type Status,
} from './ingestion.js';
import { GroupCommit } from '../shared/group-commit.js';
import { findTransaction, storePending } from './transaction.repository.js';
import type { TransactionInput } from './transaction.js';
import { decisionOf, rowOf } from './transaction.view.js';
import { WORKER_GROUP, type DecisionBatch, type TransactionMessage } from './transaction.worker.js';

interface Waiter {
  readonly resolve: (result: DecisionResult) => void;
}

/** What became of one accepted transaction in its run: its status, or its publish's error. */
type Accepted = { readonly status: Status } | { readonly error: unknown };

/**
 * Distributed mode, API side: transactions are published (durably) to the `transactions`
 * stream, partitioned by account; workers decide them. A synchronous request waits for its
 * decision on the `decisions` stream; an async one answers once the stream has it.
 */
export class StreamIngestion implements Ingestion {
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly listeners = new Set<DecisionListener>();
  private unsubscribe: (() => void) | undefined;
  private readonly accepts = new GroupCommit<TransactionInput, Accepted>(
    (txs) => this.acceptAll(txs),
    ACCEPT_BATCH,
  );

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

  async accept(tx: TransactionInput): Promise<{ status: Status }> {
    const [accepted] = await this.accepts.run([tx]);
    if (!accepted || 'error' in accepted) throw accepted?.error;
    return accepted;
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

  /** Resolves once no async request is being accepted. */
  idle(): Promise<void> {
    return this.accepts.idle();
  }

  close(): Promise<void> {
    this.unsubscribe?.();
    return Promise.resolve();
  }

  /**
   * The async requests that arrived while the previous run was in flight, together: one
   * idempotency lookup, a publish each (an id twice in the run is published once), and one
   * INSERT of their pending rows, which carry the stream sequence. A request per round trip
   * to PostgreSQL cost the API about 450 µs of CPU per async request.
   */
  private async acceptAll(txs: readonly TransactionInput[]): Promise<Accepted[]> {
    const { stored, fresh } = await sortOutAccepted(this.db, txs);
    const published = await Promise.allSettled(fresh.map((tx) => this.publish(tx)));
    const failed = new Map<string, unknown>();
    const rows = fresh.flatMap((tx, i) => {
      const outcome = published[i];
      if (outcome?.status !== 'fulfilled') {
        failed.set(tx.transaction_id, outcome?.reason);
        return [];
      }
      const partition = this.transport.partitionOf(tx.account_id);
      return [rowOf(tx, null, { seq: outcome.value.seq, receivedAt: Date.now(), partition })];
    });
    await storePending(this.db, rows);
    return txs.map((tx): Accepted => {
      const status = stored.get(tx.transaction_id);
      if (status) return { status };
      return failed.has(tx.transaction_id) ? { error: failed.get(tx.transaction_id) } : { status: 'pending' };
    });
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
