import type { Kysely, Migration } from 'kysely';

/** Transactions with their decisions, rule set versions and API keys. */
export const initial: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('transactions')
      .addColumn('transaction_id', 'text', (c) => c.primaryKey())
      .addColumn('seq', 'bigint', (c) => c.notNull().unique())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('amount', 'double precision', (c) => c.notNull())
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('event_time', 'bigint', (c) => c.notNull())
      .addColumn('merchant_id', 'text')
      .addColumn('merchant_type', 'text')
      .addColumn('device_type', 'text')
      .addColumn('channel', 'text')
      .addColumn('origin_country', 'text')
      .addColumn('destination_country', 'text')
      .addColumn('balance', 'double precision')
      .addColumn('location_match', 'integer')
      .addColumn('raw', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('decision', 'text')
      .addColumn('risk_score', 'double precision')
      .addColumn('fraud_probability', 'double precision')
      .addColumn('reasons', 'text')
      .addColumn('rule_errors', 'text')
      .addColumn('features', 'text')
      .addColumn('rules_version', 'integer')
      .addColumn('model_version', 'text')
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addColumn('processed_at', 'bigint')
      .addColumn('latency_ms', 'double precision')
      .addColumn('created_at', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    await db.schema
      .createIndex('transactions_account_seq')
      .on('transactions')
      .columns(['account_id', 'seq'])
      .execute();
    await db.schema.createIndex('transactions_event_time').on('transactions').column('event_time').execute();
    await db.schema
      .createIndex('transactions_decision_seq')
      .on('transactions')
      .columns(['decision', 'seq'])
      .execute();

    await db.schema
      .createTable('rule_sets')
      .addColumn('version', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('activated_at', 'bigint')
      .execute();

    await db.schema
      .createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('secret_hash', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint')
      .addColumn('revoked_at', 'bigint')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('api_keys').execute();
    await db.schema.dropTable('rule_sets').execute();
    await db.schema.dropTable('transactions').execute();
  },
};
