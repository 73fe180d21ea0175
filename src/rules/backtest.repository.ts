import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { TransactionRow } from '../transactions/transaction.repository.js';

/**
 * A stored, decided transaction with its analyst label (null when unlabelled) and the decision
 * the scorer made, when a later change (a face step-up) replaced it: the `from` of its first
 * decision change; null when it was never changed.
 */
export type BacktestRow = TransactionRow & {
  readonly label: 'fraud' | 'legit' | null;
  readonly scored_decision: string | null;
};

/** Which stored transactions a backtest reads, one page at a time. */
export interface BacktestPageQuery {
  /** Event time bounds, ms since the epoch, inclusive. */
  readonly from?: number;
  readonly to?: number;
  /** Only rows with a larger arrival sequence number (keyset pagination; 0 to start). */
  readonly afterSeq: number;
  /** Only rows up to this sequence number: a fixed end, so rows arriving meanwhile are left out. */
  readonly maxSeq: number;
  readonly limit: number;
}

/**
 * One page of decided transactions in arrival order, each joined with its label. Keyset
 * pagination on `seq` (unique, indexed): every page costs the same however deep it is.
 */
export async function readBacktestPage(
  db: Kysely<Database>,
  query: BacktestPageQuery,
): Promise<BacktestRow[]> {
  let select = db
    .selectFrom('transactions as t')
    .leftJoin('transaction_labels as l', 'l.transaction_id', 't.transaction_id')
    .selectAll('t')
    .select('l.label')
    .select((eb) =>
      eb
        .selectFrom('transaction_events as e')
        .select('e.from_decision')
        .whereRef('e.transaction_id', '=', 't.transaction_id')
        .orderBy('e.at')
        .orderBy('e.id')
        .limit(1)
        .as('scored_decision'),
    )
    .where('t.status', '=', 'decided')
    .where('t.seq', '>', query.afterSeq)
    .where('t.seq', '<=', query.maxSeq);
  if (query.from !== undefined) select = select.where('t.event_time', '>=', query.from);
  if (query.to !== undefined) select = select.where('t.event_time', '<=', query.to);
  return select.orderBy('t.seq').limit(query.limit).execute();
}
