import type { Kysely, Migration } from 'kysely';

/** Face templates (encrypted), the verification log, and transaction events (step-ups). */
export const identity: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('face_templates')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('model', 'text', (c) => c.notNull())
      .addColumn('template', 'text', (c) => c.notNull())
      .addColumn('photo_key', 'text')
      .addColumn('face', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('created_by', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('face_templates_user').on('face_templates').column('user_id').execute();
    await db.schema
      .createTable('verifications')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('movement', 'text')
      .addColumn('transaction_id', 'text')
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('similarity', 'double precision')
      .addColumn('threshold', 'double precision', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('request_id', 'text')
      .addColumn('actor', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('latency_ms', 'double precision', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('verifications_at').on('verifications').columns(['at', 'id']).execute();
    await db.schema
      .createIndex('verifications_user_at')
      .on('verifications')
      .columns(['user_id', 'at'])
      .execute();
    await db.schema
      .createTable('transaction_events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('transaction_id', 'text', (c) => c.notNull())
      .addColumn('at', 'bigint', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('from_decision', 'text')
      .addColumn('to_decision', 'text', (c) => c.notNull())
      .addColumn('verification_id', 'text')
      .addColumn('actor', 'text', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('transaction_events_tx')
      .on('transaction_events')
      .columns(['transaction_id', 'at'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('transaction_events').execute();
    await db.schema.dropTable('verifications').execute();
    await db.schema.dropTable('face_templates').execute();
  },
};
