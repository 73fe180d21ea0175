import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { GroupCommit } from '../shared/group-commit.js';
import { partitionOf } from '../shared/partition.js';
import type { Database } from '../store/database.js';
import type { BatchDecider, DecisionOutcome, DecisionRequest } from './batch-decider.js';
import {
  ACCEPT_BATCH,
  firstOfEach,
  hasGeneratedId,
  notify,
  storedRows,
  type Backlog,
  type DecisionListener,
  type Ingestion,
  type Accepted,
} from './ingestion.js';
import { maxSeq, pendingTransactions, storePending } from './transaction.repository.js';
import { transactionOfRow } from './transaction-row.js';
import type { TransactionInput } from './transaction.js';
import { rowOf } from './transaction.view.js';

/**
 * Embedded mode: submissions are queued and handled in arrival order in batches; each
 * batch is scored against the velocity state, committed in one database transaction
 * ("group commit"), and only then answered, so every acknowledged decision is durable and
 * throughput does not pay one fsync per transaction.
 */
export class LocalIngestion implements Ingestion {
  private seq = 0;
  private readonly listeners = new Set<DecisionListener>();
  private readonly commits: GroupCommit<DecisionRequest, DecisionOutcome>;
  private readonly accepts = new GroupCommit<AsyncRequest, Accepted>(
    (requests) => this.acceptAll(requests),
    ACCEPT_BATCH,
  );

  constructor(
    private readonly db: Kysely<Database>,
    private readonly decider: BatchDecider,
    private readonly options: { readonly partitions: number; readonly maxBatch: number },
  ) {
    this.commits = new GroupCommit((batch) => this.decideBatch(batch), options.maxBatch);
  }

  /** Restores the velocity state, then decides transactions a stop left pending. */
  async init(): Promise<void> {
    await this.decider.restore();
    this.seq = await maxSeq(this.db);
    for (let rows = await pendingTransactions(this.db, 1000); rows.length > 0;) {
      await Promise.all(
        rows.map((row) =>
          this.enqueue({
            tx: transactionOfRow(row),
            arrivedAt: performance.now(),
            receivedAt: Number(row.received_at),
            seq: Number(row.seq),
          }),
        ),
      );
      rows = await pendingTransactions(this.db, 1000);
    }
  }

  submit(tx: TransactionInput, arrivedAt: number): Promise<DecisionOutcome> {
    return this.enqueue({ tx, arrivedAt, receivedAt: Date.now(), freshId: hasGeneratedId(tx) });
  }

  async accept(tx: TransactionInput, arrivedAt: number): Promise<Accepted> {
    const [accepted] = await this.accepts.run([{ tx, arrivedAt }]);
    return accepted ?? { status: 'pending', replayed: false };
  }

  /**
   * The async requests that arrived while the previous run was being stored, together: one
   * idempotency lookup and one commit of their pending rows (a request per commit cost a
   * fsync each); then each new one is queued for its decision.
   */
  private async acceptAll(requests: readonly AsyncRequest[]): Promise<Accepted[]> {
    const stored = await storedRows(
      this.db,
      requests.map((r) => r.tx),
    );
    // The first request of each id not stored yet: an id sent twice in a run is accepted once.
    const fresh = firstOfEach(requests, (r) => r.tx.transaction_id, new Set(stored.keys()));
    const receivedAt = Date.now();
    const accepted = fresh.map(({ tx, arrivedAt }) => ({
      tx,
      arrivedAt,
      seq: ++this.seq,
      partition: partitionOf(tx.account_id, this.options.partitions),
    }));
    await storePending(
      this.db,
      accepted.map(({ tx, seq, partition }) => rowOf(tx, null, { seq, receivedAt, partition })),
    );
    for (const { tx, arrivedAt, seq } of accepted)
      this.enqueue({ tx, arrivedAt, receivedAt, seq }).catch((error: unknown) =>
        console.error('async decision failed; it stays pending and is decided at the next start', error),
      );
    // A later copy of an id in the run is a replay of its first, which alone is new.
    const firsts = new Set(fresh);
    return requests.map((r) => {
      const row = stored.get(r.tx.transaction_id);
      return row ? { status: row.status, replayed: true } : { status: 'pending', replayed: !firsts.has(r) };
    });
  }

  subscribe(listener: DecisionListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async idle(): Promise<void> {
    await this.accepts.idle();
    await this.commits.idle();
  }

  close(): Promise<void> {
    return this.idle();
  }

  private async enqueue(request: DecisionRequest): Promise<DecisionOutcome> {
    const [outcome] = await this.commits.run([{ ...request, seq: request.seq ?? ++this.seq }]);
    return outcome as DecisionOutcome;
  }

  backlog(): Promise<Backlog> {
    return Promise.resolve({ lag: this.commits.size });
  }

  private async decideBatch(batch: DecisionRequest[]): Promise<DecisionOutcome[]> {
    const outcomes = await this.decider.decide(batch);
    notify(
      this.listeners,
      outcomes.filter((o) => !o.replayed).map((o) => o.result),
    );
    return outcomes;
  }
}

/** An async request: the transaction and when it arrived (performance.now(), for latency_ms). */
interface AsyncRequest {
  readonly tx: TransactionInput;
  readonly arrivedAt: number;
}
