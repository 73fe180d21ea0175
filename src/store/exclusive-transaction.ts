import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';

/**
 * Runs `work` as one transaction that no other `exclusiveTransaction` with the same `lock`
 * runs alongside, in any process sharing the store. For writes that read before they write
 * (the next version number, "clear the active flag, then set it"): on PostgreSQL two such
 * transactions would otherwise both read the same state. `lock` is a PostgreSQL advisory lock
 * key, held until the transaction ends; the transaction is READ COMMITTED whatever the
 * server's default, so its reads after the lock see what the previous holder committed.
 * On SQLite every explicit transaction already takes the write lock when it begins (see
 * TRANSACTION_SQL), which runs them one at a time across processes.
 */
export async function exclusiveTransaction<T>(
  db: Kysely<Database>,
  lock: number,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return db.transaction().execute(work);
  return db
    .transaction()
    .setIsolationLevel('read committed')
    .execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(${lock})`.execute(trx);
      return work(trx);
    });
}
