import { sql, type Kysely, type Migration } from 'kysely';

/**
 * `structuring_consensus`: one row per flagged window of a run with the number of distinct
 * methods that flagged it, so "windows flagged by at least m methods" is
 * `WHERE methods >= m` for any m (the stored `consensus` alerts use the run's own m).
 */
export const structuringConsensus: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createView('structuring_consensus')
      .as(
        sql`SELECT run_id, scope, window_length, user_id, merchant_id, window_end,
            min(window_start) AS window_start, min(transaction_id) AS transaction_id,
            count(DISTINCT method) AS methods, max(label) AS label
          FROM structuring_alerts WHERE method <> 'consensus'
          GROUP BY run_id, scope, window_length, user_id, merchant_id, window_end`,
      )
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropView('structuring_consensus').execute();
  },
};
