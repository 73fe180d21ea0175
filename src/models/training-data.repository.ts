import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { TransactionFeatures } from '../features/features.js';
import { ruleContextOf } from '../transactions/scoring.js';
import type { TransactionRow } from '../transactions/transaction.repository.js';
import { transactionOfRow } from '../transactions/transaction-row.js';
import type { DataRecord } from './dataset.js';

/** A stored transaction with the analyst's label. */
type LabelledRow = TransactionRow & { readonly label: 'fraud' | 'legit' };

/** Rows read per query (keyset pages on the arrival sequence). */
const PAGE = 5_000;

/**
 * Training records from the store: every decided transaction an analyst labelled, as the
 * live scorer saw it (input fields and stored features, by the names models read) with
 * `labelField` = 1 for 'fraud' and 0 for 'legit'. In arrival order; read a page at a time.
 *
 * @example const records = await readLabelledTransactions(store.db);
 */
export async function readLabelledTransactions(
  db: Kysely<Database>,
  labelField = 'is_fraud',
): Promise<DataRecord[]> {
  const records: DataRecord[] = [];
  for (let after = -1; ;) {
    const page = await readLabelledPage(db, after, PAGE);
    for (const row of page) records.push(recordOf(row, labelField));
    if (page.length < PAGE) return records;
    after = Number(page[page.length - 1]?.seq);
  }
}

async function readLabelledPage(
  db: Kysely<Database>,
  afterSeq: number,
  limit: number,
): Promise<LabelledRow[]> {
  return db
    .selectFrom('transactions as t')
    .innerJoin('transaction_labels as l', 'l.transaction_id', 't.transaction_id')
    .selectAll('t')
    .select('l.label')
    .where('t.status', '=', 'decided')
    .where('t.seq', '>', afterSeq)
    .orderBy('t.seq')
    .limit(limit)
    .execute();
}

/** The scorer's record of a stored transaction (without the model probability), labelled. */
function recordOf(row: LabelledRow, labelField: string): DataRecord {
  const features = JSON.parse(row.features ?? '{}') as TransactionFeatures;
  const { model_probability: _probability, ...context } = ruleContextOf(
    transactionOfRow(row),
    features,
    null,
  );
  return { ...context, [labelField]: row.label === 'fraud' ? 1 : 0 };
}
