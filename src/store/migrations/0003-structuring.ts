import type { Kysely, Migration } from 'kysely';

/** Structuring runs and their alerts (one row per flagged window and method). */
export const structuring: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('structuring_runs')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('started_at', 'bigint', (c) => c.notNull())
      .addColumn('finished_at', 'bigint')
      .addColumn('row_count', 'bigint')
      .addColumn('window_count', 'bigint')
      .addColumn('method_counts', 'text')
      .addColumn('durations', 'text')
      .addColumn('error', 'text')
      .addColumn('report', 'text')
      .addColumn('covered_to', 'bigint')
      .execute();
    await db.schema
      .createTable('structuring_alerts')
      .addColumn('alert_key', 'text', (c) => c.primaryKey())
      .addColumn('run_id', 'text', (c) => c.notNull())
      .addColumn('method', 'text', (c) => c.notNull())
      .addColumn('scope', 'text', (c) => c.notNull())
      .addColumn('window_length', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('merchant_id', 'text')
      .addColumn('transaction_id', 'text')
      .addColumn('score', 'double precision', (c) => c.notNull())
      .addColumn('votes', 'integer', (c) => c.notNull())
      .addColumn('window_start', 'bigint', (c) => c.notNull())
      .addColumn('window_end', 'bigint', (c) => c.notNull())
      .addColumn('features', 'text', (c) => c.notNull())
      .addColumn('label', 'integer')
      .execute();
    const index = (name: string, columns: string[]) =>
      db.schema.createIndex(name).on('structuring_alerts').columns(columns).execute();
    await index('structuring_alerts_run_method', ['run_id', 'method']);
    await index('structuring_alerts_user', ['user_id', 'window_end']);
    await index('structuring_alerts_merchant', ['merchant_id', 'window_end']);
    await index('structuring_alerts_end', ['window_end']);
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('structuring_alerts').execute();
    await db.schema.dropTable('structuring_runs').execute();
  },
};
