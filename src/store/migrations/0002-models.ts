import type { Kysely, Migration } from 'kysely';

/** Model registry, analysts' labels, and the shadow model's score beside each decision. */
export const models: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('model_versions')
      .addColumn('version', 'text', (c) => c.primaryKey())
      .addColumn('algorithm', 'text', (c) => c.notNull())
      .addColumn('artefact', 'text', (c) => c.notNull())
      .addColumn('metrics', 'text', (c) => c.notNull())
      .addColumn('feature_schema', 'text', (c) => c.notNull())
      .addColumn('params', 'text', (c) => c.notNull())
      .addColumn('data_hash', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('role', 'text', (c) => c.notNull().defaultTo('none'))
      .addColumn('activated_at', 'bigint')
      .execute();
    await db.schema
      .createTable('transaction_labels')
      .addColumn('transaction_id', 'text', (c) => c.primaryKey())
      .addColumn('label', 'text', (c) => c.notNull())
      .addColumn('labelled_by', 'text', (c) => c.notNull())
      .addColumn('labelled_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema.alterTable('transactions').addColumn('shadow_model_version', 'text').execute();
    await db.schema.alterTable('transactions').addColumn('shadow_probability', 'double precision').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('transactions').dropColumn('shadow_probability').execute();
    await db.schema.alterTable('transactions').dropColumn('shadow_model_version').execute();
    await db.schema.dropTable('transaction_labels').execute();
    await db.schema.dropTable('model_versions').execute();
  },
};
