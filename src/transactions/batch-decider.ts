import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import { VelocityState, type Recorded, type VelocityEvent } from '../features/velocity.js';
import type { ModelRegistry } from '../models/model-registry.service.js';
import type { RulesService } from '../rules/rules.service.js';
import { partitionOf } from '../shared/partition.js';
import type { Database } from '../store/database.js';
import type { DecisionResult, Thresholds } from './decision.js';
import { scoreTransaction, velocityEventOf, type ModelObserver } from './scoring.js';
import {
  countsByAccount,
  storedRowsOf,
  maxSeq,
  retainedVelocityEvents,
  storeDecisions,
  storeNewDecisions,
  type NewTransactionRow,
} from './transaction.repository.js';
import type { TransactionInput } from './transaction.js';
import { decisionOf, rowOf } from './transaction.view.js';

/** One transaction to decide. */
export interface DecisionRequest {
  readonly tx: TransactionInput;
  /** performance.now() at arrival, for latency_ms. */
  readonly arrivedAt: number;
  /** Wall-clock arrival time, ms since the epoch. */
  readonly receivedAt: number;
  /** Arrival sequence number given by the transport; assigned here when absent. */
  readonly seq?: number;
  /** The id was generated for this very request, so nothing can be stored under it yet: no lookup. */
  readonly freshId?: boolean;
}

export interface DecisionOutcome {
  readonly result: DecisionResult;
  /** True when the id was already decided: the stored decision, nothing counted again. */
  readonly replayed: boolean;
}

export interface BatchDeciderOptions {
  readonly db: Kysely<Database>;
  /** For the idempotency lookup of each batch (`Store.reader`); `db` when absent. */
  readonly reader?: Kysely<Database>;
  readonly rules: RulesService;
  readonly models?: ModelRegistry;
  readonly thresholds: Thresholds;
  readonly velocityRetentionMs: number;
  /** Partitions accounts are spread over (stored with each row). */
  readonly partitions: number;
  /** Told each model's scoring time (the service's latency histogram). */
  readonly observeModel?: ModelObserver;
}

/** Batches decided with the idempotency lookup after a batch found an id stored already. */
export const LOOKUP_BATCHES_AFTER_A_MISS = 100;

/** A batch decided, not yet stored. */
interface Attempt {
  readonly outcomes: DecisionOutcome[];
  readonly rows: NewTransactionRow[];
  /** What the attempt recorded in the velocity state, to forget if it is not stored. */
  readonly recorded: Recorded[];
}

/**
 * Decides batches of transactions against per-account velocity state and stores them in
 * one database transaction. Shared by the embedded service and the stream workers, so
 * both compute exactly the same features and decisions for the same input order.
 */
export class BatchDecider {
  private readonly velocity: VelocityState;
  private seq = 0;
  private lock: Promise<void> = Promise.resolve();
  /** Batches still to be decided with the idempotency lookup first (see decideNow). */
  private lookupBatches = 0;

  constructor(private readonly options: BatchDeciderOptions) {
    this.velocity = new VelocityState(options.velocityRetentionMs);
  }

  /** Rebuilds the whole velocity state from stored decisions (embedded mode, one process). */
  async restore(): Promise<void> {
    await this.exclusive(async () => {
      this.velocity.clear();
      await this.loadAccounts(() => true, undefined);
    });
  }

  /**
   * Takes over partitions (a worker's share): loads the state of their accounts from the
   * store. Runs between batches, never while one is being decided.
   */
  async loadPartitions(partitions: readonly number[]): Promise<void> {
    if (partitions.length === 0) return;
    const wanted = new Set(partitions);
    const mine = (accountId: string) => wanted.has(partitionOf(accountId, this.options.partitions));
    await this.exclusive(async () => {
      this.velocity.removeAccounts(mine);
      await this.loadAccounts(mine, partitions);
    });
  }

  /** Gives up partitions: forgets their accounts' state. */
  async dropPartitions(partitions: readonly number[]): Promise<void> {
    const lost = new Set(partitions);
    await this.exclusive(() => {
      this.velocity.removeAccounts((accountId) => lost.has(partitionOf(accountId, this.options.partitions)));
      return Promise.resolve();
    });
  }

  private async loadAccounts(
    mine: (accountId: string) => boolean,
    partitions: readonly number[] | undefined,
  ) {
    const { db, velocityRetentionMs } = this.options;
    this.seq = Math.max(this.seq, await maxSeq(db));
    const retained = new Map<string, number>();
    for (const e of await retainedVelocityEvents(db, velocityRetentionMs, partitions)) {
      if (!mine(e.account_id)) continue;
      this.velocity.record(storedEvent(e));
      retained.set(e.account_id, (retained.get(e.account_id) ?? 0) + 1);
    }
    for (const { account_id, count } of await countsByAccount(db, partitions)) {
      if (mine(account_id))
        this.velocity.addReceived(account_id, Number(count) - (retained.get(account_id) ?? 0));
    }
  }

  /** Runs `work` after every earlier decide/load/drop has finished (one at a time). */
  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.lock.then(work);
    this.lock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /**
   * Decides every request in order and stores the new decisions; resolves once they are
   * durable. On a store failure the velocity state is rolled back and STORE_UNAVAILABLE thrown.
   */
  decide(requests: readonly DecisionRequest[]): Promise<DecisionOutcome[]> {
    return this.exclusive(() => this.decideNow(requests));
  }

  /**
   * Most batches hold only ids never seen, so they are decided without reading the store
   * first, and stored by an insert that fails, storing nothing, if an id is stored already.
   * Then the batch's velocity events are forgotten and it is decided again knowing the stored
   * rows (a redelivery is replayed, never counted twice), and so are the next
   * LOOKUP_BATCHES_AFTER_A_MISS batches: async ingestion stores a pending row before every
   * decision, so there the insert would fail every time.
   */
  private async decideNow(requests: readonly DecisionRequest[]): Promise<DecisionOutcome[]> {
    if (this.lookupBatches === 0) {
      const attempt = this.attempt(requests, new Map());
      if (await this.store(attempt, storeNewDecisions)) return attempt.outcomes;
      this.forget(attempt);
      this.lookupBatches = LOOKUP_BATCHES_AFTER_A_MISS;
    }
    this.lookupBatches--;
    const attempt = this.attempt(requests, await this.storedDecisions(requests));
    await this.store(attempt, storeDecisions);
    return attempt.outcomes;
  }

  /**
   * Decides every request in order, counting each new one in the velocity state. If one
   * cannot be decided, what the batch recorded is forgotten before the error is thrown: the
   * batch is not stored, and its transactions must not count in later windows.
   */
  private attempt(requests: readonly DecisionRequest[], known: Map<string, DecisionResult>): Attempt {
    const rows: NewTransactionRow[] = [];
    const recorded: Recorded[] = [];
    try {
      const outcomes = requests.map((request) => this.decideOne(request, known, rows, recorded));
      return { outcomes, rows, recorded };
    } catch (error) {
      this.velocity.forgetAll(recorded);
      throw error;
    }
  }

  /** Stores an attempt's rows; on a store failure its velocity events are forgotten and STORE_UNAVAILABLE thrown. */
  private async store<T>(
    attempt: Attempt,
    write: (db: Kysely<Database>, rows: readonly NewTransactionRow[]) => Promise<T>,
  ): Promise<T> {
    try {
      return await write(this.options.db, attempt.rows);
    } catch (error) {
      this.forget(attempt);
      throw new AppError('STORE_UNAVAILABLE', 'The transaction could not be stored; retry.', {
        cause: error,
      });
    }
  }

  /** Undoes what the attempt recorded in the velocity state. */
  private forget(attempt: Attempt): void {
    this.velocity.forgetAll(attempt.recorded);
  }

  private async storedDecisions(requests: readonly DecisionRequest[]): Promise<Map<string, DecisionResult>> {
    const ids = requests.filter((r) => !r.freshId).map((r) => r.tx.transaction_id);
    const rows = await storedRowsOf(this.options.reader ?? this.options.db, ids, 'decided');
    const known = new Map<string, DecisionResult>();
    for (const row of rows.values()) {
      const decision = decisionOf(row);
      if (decision) known.set(row.transaction_id, decision);
    }
    return known;
  }

  private decideOne(
    { tx, arrivedAt, receivedAt, seq }: DecisionRequest,
    known: Map<string, DecisionResult>,
    rows: NewTransactionRow[],
    recorded: Recorded[],
  ): DecisionOutcome {
    const prior = known.get(tx.transaction_id);
    if (prior) return { result: prior, replayed: true };
    const event = velocityEventOf(tx);
    const features = this.velocity.features(event);
    recorded.push(this.velocity.record(event));
    const { rules, models, thresholds, partitions, observeModel } = this.options;
    const context = { ruleSet: rules.current(), thresholds, models: models?.serving(), observeModel };
    const result = scoreTransaction(tx, features, context, arrivedAt);
    known.set(tx.transaction_id, result);
    const rowSeq = seq ?? ++this.seq;
    this.seq = Math.max(this.seq, rowSeq);
    rows.push(
      rowOf(tx, result, { seq: rowSeq, receivedAt, partition: partitionOf(tx.account_id, partitions) }),
    );
    return { result, replayed: false };
  }
}

function storedEvent(e: {
  account_id: string;
  event_time: number;
  amount: number;
  destination_country: string | null;
}): VelocityEvent {
  return {
    accountId: e.account_id,
    time: Number(e.event_time),
    amount: Number(e.amount),
    originCountry: null,
    destinationCountry: e.destination_country,
    balance: null,
  };
}
