import type { Kysely, Migration } from 'kysely';

/**
 * Drops the (partition, seq) index of 0004. Every stored transaction paid for it (one
 * insertion point per partition in each commit: about a fifth of SQLite's time per row), and
 * the only query that filters on `partition` (a worker loading the velocity state of the
 * partitions it takes over) reads nearly every page of the table with or without it: a
 * partition's rows are spread over the whole table in arrival order.
 */
export const dropPartitionIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex('transactions_partition_seq').ifExists().execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema
      .createIndex('transactions_partition_seq')
      .on('transactions')
      .columns(['partition', 'seq'])
      .execute();
  },
};
