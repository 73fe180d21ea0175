import { sql, type Kysely, type Migration } from 'kysely';

const VIEW = 'structuring_consensus';

/** The view of 0008, grouped by `columns` (`transaction_id` picked as the least of the group's when it is not one of them). */
function consensusView(columns: string) {
  const transaction = columns.includes('transaction_id') ? '' : 'min(transaction_id) AS transaction_id,';
  return sql.raw(`SELECT ${columns}, min(window_start) AS window_start, ${transaction}
      count(DISTINCT method) AS methods, max(label) AS label
    FROM structuring_alerts WHERE method <> 'consensus'
    GROUP BY ${columns}`);
}

const BY_WINDOW_END = 'run_id, scope, window_length, user_id, merchant_id, window_end';

/**
 * `structuring_consensus` counts methods per window, the window's transaction included: since
 * alerts are keyed by it (two windows of one user and merchant may end at one instant), the
 * view grouped such windows into one row, and counted two methods that had each flagged one of
 * them as two methods on one window.
 */
export const consensusPerWindow: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropView(VIEW).execute();
    await db.schema
      .createView(VIEW)
      .as(consensusView(`${BY_WINDOW_END}, transaction_id`))
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropView(VIEW).execute();
    await db.schema.createView(VIEW).as(consensusView(BY_WINDOW_END)).execute();
  },
};
