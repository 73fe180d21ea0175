import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import type { Transport } from '../transport/transport.js';
import type { DecisionOutcome } from './batch-decider.js';
import type { DecisionResult } from './decision.js';
import {
  ACCEPT_BATCH,
  firstOfEach,
  notify,
  storedRows,
  type Backlog,
  type DecisionListener,
  type Ingestion,
  type Accepted,
} from './ingestion.js';
import { failureLog } from '../shared/failure-log.js';
import { GroupCommit } from '../shared/group-commit.js';
import { STREAM_SERVER_ANSWER_MS, within } from '../shared/within.js';
import { storePending, type NewTransactionRow, type TransactionRow } from './transaction.repository.js';
import type { TransactionInput } from './transaction.js';
import { decisionOf, rowOf } from './transaction.view.js';
import { WORKER_GROUP, type DecisionBatch, type TransactionMessage } from './transaction.worker.js';

interface Waiter {
  readonly resolve: (result: DecisionResult) => void;
}

/** A request waiting for its decision. */
interface Waiting {
  readonly result: Promise<DecisionResult>;
  /** Whether the decision has come. */
  decided(): boolean;
  /** Starts the decision timeout. */
  startClock(): void;
  /** Stops waiting. */
  cancel(): void;
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
  /** Idempotency lookups (sync and async requests) and async requests' pending rows: one statement per run. */
  private readonly lookups = new GroupCommit<TransactionInput, TransactionRow | undefined>(
    (txs) => this.rowsOf(txs),
    ACCEPT_BATCH,
  );
  private readonly pendingRows = new GroupCommit<NewTransactionRow, void>(
    (rows) => this.storePendingRows(rows),
    ACCEPT_BATCH,
  );
  private readonly accepting = new Set<Promise<unknown>>();
  /** A pending row not written: the transaction reads as unknown until a worker decides it. */
  private readonly logPendingRowFailure = failureLog('storing a pending row');

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
    // Listen before the lookup: a worker deciding an earlier copy of the id publishes the
    // decision once, maybe after the lookup found none and before the publish below, which is
    // then a duplicate and brings no other. The wait's own timeout may pass while the publish
    // still retries (JetStream restarting): its rejection is handled at once (an unhandled one
    // ended the process) and read only once the publish is done.
    const waiting = this.waitFor(tx.transaction_id);
    waiting.result.catch(() => undefined); // awaited below; this keeps it from counting as unhandled
    let published: { seq: number; duplicate: boolean };
    try {
      const [stored] = await this.lookups.run([tx]);
      const prior = stored && decisionOf(stored);
      if (prior) {
        waiting.cancel();
        return { result: prior, replayed: true };
      }
      if (waiting.decided()) return { result: await waiting.result, replayed: true }; // during the lookup
      waiting.startClock(); // the decision timeout counts from here, not the lookup's time
      published = await this.publish(tx); // a copy sent meanwhile: JetStream's msgId deduplication
    } catch (error) {
      waiting.cancel();
      throw error;
    }
    try {
      return { result: await waiting.result, replayed: published.duplicate };
    } catch (error) {
      // DECISION_TIMEOUT says the transaction is accepted and pending: make it readable as such
      // (GET answered 404 until a worker decided it). Not awaited: the answer is due now, and
      // the stream holds the transaction anyway.
      void this.storePendingRow(tx, published.seq);
      throw error;
    }
  }

  /**
   * Looks the id up, publishes the transaction and stores its pending row (with its stream
   * sequence). The lookups and the rows of requests that arrive together are batched; the
   * publishes are not, so one slow publish (JetStream restarting) delays only its request.
   */
  accept(tx: TransactionInput): Promise<Accepted> {
    const accepted = this.acceptOne(tx);
    this.accepting.add(accepted);
    const forget = () => this.accepting.delete(accepted);
    accepted.then(forget, forget);
    return accepted;
  }

  private async acceptOne(tx: TransactionInput): Promise<Accepted> {
    const [stored] = await this.lookups.run([tx]);
    if (stored) return { status: stored.status, replayed: true };
    // A repeated id: JetStream deduplicates it by msgId (same seq), a replay of the first copy.
    const { seq, duplicate } = await this.publish(tx);
    await this.storePendingRow(tx, seq);
    return { status: 'pending', replayed: duplicate };
  }

  /**
   * Stores the pending row of a published transaction, so that it can be read before a worker
   * decides it. Once published the transaction is accepted (the stream holds it durably and a
   * worker will decide and store it), so a row that cannot be stored fails nothing: answering
   * "retry" made clients send it again under a new id, and it was decided twice.
   */
  private async storePendingRow(tx: TransactionInput, seq: number): Promise<void> {
    const partition = this.transport.partitionOf(tx.account_id);
    await this.pendingRows.run([rowOf(tx, null, { seq, receivedAt: Date.now(), partition })]);
  }

  subscribe(listener: DecisionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The workers' lag on `transactions` and the messages in `dlq`, read from the stream server
   * (a scrape does not wait for one that is down: the lag gauges are then left out).
   */
  async backlog(): Promise<Backlog> {
    const [input, deadLetters] = await within(
      Promise.all([this.transport.stats('transactions', WORKER_GROUP), this.transport.stats('dlq')]),
      STREAM_SERVER_ANSWER_MS,
    );
    return { lag: input.lag ?? 0, deadLetters: deadLetters.messages };
  }

  /** Resolves once no async request is being accepted. */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.accepting]);
  }

  async close(): Promise<void> {
    await this.idle();
    this.unsubscribe?.();
  }

  private async rowsOf(txs: readonly TransactionInput[]): Promise<(TransactionRow | undefined)[]> {
    const stored = await storedRows(this.db, txs);
    return txs.map((tx) => stored.get(tx.transaction_id));
  }

  /**
   * The pending rows of a run in one INSERT (an id twice in the run once); if it fails, row by
   * row, so that one row's failure leaves out only its own row.
   */
  private async storePendingRows(rows: readonly NewTransactionRow[]): Promise<void[]> {
    const unique = firstOfEach(rows, (row) => row.transaction_id);
    try {
      await storePending(this.db, unique);
    } catch {
      for (const row of unique) await storePending(this.db, [row]).catch(this.logPendingRowFailure);
    }
    return rows.map(() => undefined);
  }

  private publish(tx: TransactionInput): Promise<{ seq: number; duplicate: boolean }> {
    const message: TransactionMessage = {
      transaction: { ...tx.raw, transaction_id: tx.transaction_id },
      // A payload without timestamp was timed at arrival: keep that time for the worker.
      received_at: tx.raw.timestamp === undefined || tx.raw.timestamp === null ? tx.time : Date.now(),
    };
    return this.transport.publish('transactions', message, { key: tx.account_id, msgId: tx.transaction_id });
  }

  /**
   * The decision of `id` once a worker has made it; DECISION_TIMEOUT once the configured wait
   * has passed after `startClock`.
   */
  private waitFor(id: string): Waiting {
    let waiter: Waiter | undefined;
    let timer: NodeJS.Timeout | undefined;
    let decided = false;
    let timeOut: () => void = () => undefined;
    const result = new Promise<DecisionResult>((resolve, reject) => {
      timeOut = () => {
        this.forget(id, waiter);
        const details = { transaction_id: id, status: 'pending' };
        const message = 'No decision yet; the transaction is accepted and will be decided.';
        reject(new AppError('DECISION_TIMEOUT', message, { details }));
      };
      waiter = {
        resolve: (decision: DecisionResult) => {
          decided = true;
          clearTimeout(timer);
          resolve(decision);
        },
      };
      this.waiters.set(id, [...(this.waiters.get(id) ?? []), waiter]);
    });
    return {
      result,
      decided: () => decided,
      startClock: () => void (decided || (timer = setTimeout(timeOut, this.options.decisionTimeoutMs))),
      cancel: () => {
        clearTimeout(timer);
        this.forget(id, waiter);
      },
    };
  }

  /** Stops `waiter` waiting for `id`'s decision. */
  private forget(id: string, waiter: Waiter | undefined): void {
    const left = (this.waiters.get(id) ?? []).filter((w) => w !== waiter);
    if (left.length > 0) this.waiters.set(id, left);
    else this.waiters.delete(id);
  }
}
