import { performance } from 'node:perf_hooks';
import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import { readPage } from '../shared/keyset-cursor.js';
import type { DecisionOutcome } from './batch-decider.js';
import type { Accepted, DecisionListener, Ingestion } from './ingestion.js';
import { applyDecisionChange, eventsOf, type DecisionChange } from './transaction-event.repository.js';
import { historyOf } from './transaction-history.js';
import {
  findLabel,
  findLabels,
  findTransaction,
  listTransactions,
  upsertLabel,
  replaceLabel,
  type TransactionFilter,
} from './transaction.repository.js';
import type { TransactionInput } from './transaction.js';
import { storedTransactionOf, type StoredTransaction } from './transaction.view.js';

export type SubmitResult = DecisionOutcome;

/** A stored decision changed (an identity step-up): from what, to what, and when it was first made (ms). */
export interface DecisionChanged {
  readonly transaction_id: string;
  readonly from: DecisionChange['from'];
  readonly to: DecisionChange['to'];
  readonly decided_at: number | null;
}

export type DecisionChangeListener = (change: DecisionChanged) => void;

/**
 * Transactions as the API sees them: submit and accept go through the configured
 * {@link Ingestion} (embedded or stream); reads and labels go to the store.
 */
export class TransactionService {
  private readonly changeListeners = new Set<DecisionChangeListener>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly ingestion: Ingestion,
  ) {}

  /** Decides `tx` (or returns its stored decision); resolves once the decision is durable. */
  submit(tx: TransactionInput, arrivedAt = performance.now()): Promise<SubmitResult> {
    return this.ingestion.submit(tx, arrivedAt);
  }

  /** Accepts `tx` for a decision later (async mode): resolves once it is durably stored. */
  accept(tx: TransactionInput, arrivedAt = performance.now()): Promise<Accepted> {
    return this.ingestion.accept(tx, arrivedAt);
  }

  /** New durable decisions (replays excluded), for live views and webhooks. */
  subscribe(listener: DecisionListener): () => void {
    return this.ingestion.subscribe(listener);
  }

  /** Decisions changed after they were made (step-ups), once the change is stored. */
  subscribeChanges(listener: DecisionChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Waits until every submitted transaction has been handled. */
  idle(): Promise<void> {
    return this.ingestion.idle();
  }

  async get(id: string): Promise<StoredTransaction | undefined> {
    const row = await findTransaction(this.db, id);
    if (!row) return undefined;
    const [label, events] = await Promise.all([findLabel(this.db, id), eventsOf(this.db, id)]);
    return { ...storedTransactionOf(row, label), history: historyOf(row, events) };
  }

  /**
   * Changes a stored decision (an identity step-up) and records it; answers the decision set
   * (decline past `reviewLimit`); 409 if it is no longer `from`.
   */
  async changeDecision(change: DecisionChange): Promise<DecisionChange['to']> {
    const applied = await applyDecisionChange(this.db, change);
    if (!applied) {
      // Another change won (two step-ups at once): say what the decision is now, as the
      // step-up's own check does before it starts.
      const decision = (await findTransaction(this.db, change.transactionId))?.decision ?? null;
      throw new AppError(
        'CONFLICT',
        `Transaction '${change.transactionId}' is no longer in ${change.from} (${decision ?? 'unknown'}).`,
        { details: { decision } },
      );
    }
    if (this.changeListeners.size > 0) await this.announceChange(change.transactionId, change.from, applied);
    return applied;
  }

  /**
   * Tells the listeners of a stored change. Best effort: the change is committed already, so
   * a failure here is logged and never fails the step-up that made it.
   */
  private async announceChange(id: string, from: DecisionChanged['from'], to: DecisionChanged['to']) {
    try {
      const decidedAt = (await findTransaction(this.db, id))?.processed_at ?? null;
      const change = {
        transaction_id: id,
        from,
        to,
        decided_at: decidedAt === null ? null : Number(decidedAt),
      };
      for (const listener of this.changeListeners) listener(change);
    } catch (error) {
      console.error(`decision change of '${id}' stored, but its listeners could not be told`, error);
    }
  }

  /**
   * Stores an analyst's label; 404 for an unknown transaction. Without `expected` the latest
   * label wins. With it (the label the analyst saw, null for none) the label is stored only if
   * it is still that one, else CONFLICT (409) says who labelled it since.
   */
  async label(
    id: string,
    label: 'fraud' | 'legit',
    actor: string,
    expected?: 'fraud' | 'legit' | null,
  ): Promise<StoredTransaction> {
    if (!(await findTransaction(this.db, id)))
      throw new AppError('NOT_FOUND', `Transaction '${id}' is unknown.`);
    const row = { transaction_id: id, label, labelled_by: actor, labelled_at: Date.now() };
    if (expected === undefined) await upsertLabel(this.db, row);
    else if (!(await replaceLabel(this.db, row, expected))) throw await this.labelChanged(id, expected);
    return (await this.get(id)) as StoredTransaction;
  }

  private async labelChanged(id: string, expected: 'fraud' | 'legit' | null): Promise<AppError> {
    const current = await findLabel(this.db, id);
    const at = current && new Date(Number(current.labelled_at)).toISOString();
    const now = current ? `is labelled ${current.label} by ${current.labelled_by} (${at})` : 'has no label';
    const was = expected === null ? 'no label' : expected;
    // As the other CONFLICT errors: details hold the state found, here the label and who set it.
    return new AppError(
      'CONFLICT',
      `Transaction '${id}' ${now}, not ${was} as expected; reload it and label again.`,
      {
        details: {
          label: current?.label ?? null,
          labelled_by: current?.labelled_by ?? null,
          labelled_at: at ?? null,
        },
      },
    );
  }

  async list(filter: TransactionFilter): Promise<{ items: StoredTransaction[]; nextSeq: number | null }> {
    const page = await readPage(filter.limit, (limit) => listTransactions(this.db, { ...filter, limit }));
    const labelRows = await findLabels(
      this.db,
      page.rows.map((r) => r.transaction_id),
    );
    const labels = new Map(labelRows.map((l) => [l.transaction_id, l]));
    const items = page.rows.map((row) => storedTransactionOf(row, labels.get(row.transaction_id)));
    const after = page.continueAfter;
    return { items, nextSeq: after === undefined ? null : Number(after.seq) };
  }
}
