import { sql, type Kysely, type Migration } from 'kysely';

/**
 * Each transaction's account partition, so a worker that takes over a partition loads the
 * velocity state of exactly its accounts. Rows stored before this migration get partition -1
 * and are re-partitioned on read by account id.
 */
export const transactionPartition: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('transactions')
      .addColumn('partition', 'integer', (c) => c.notNull().defaultTo(sql`-1`))
      .execute();
    await db.schema
      .createIndex('transactions_partition_seq')
      .on('transactions')
      .columns(['partition', 'seq'])
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('transactions_partition_seq').execute();
    await db.schema.alterTable('transactions').dropColumn('partition').execute();
  },
};
