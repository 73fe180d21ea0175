import { PostgresAdapter, sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from './database.js';

/**
 * Runs `work` as one transaction that no other `exclusiveTransaction` with the same `lock`
 * runs alongside, in any process sharing the store. For writes that read before they write
 * (the next version number, "clear the active flag, then set it"): on PostgreSQL two such
 * transactions would otherwise both read the same state. `lock` is a PostgreSQL advisory lock
 * key, held until the transaction ends; SQLite runs one write transaction at a time already.
 */
export async function exclusiveTransaction<T>(
  db: Kysely<Database>,
  lock: number,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  return db.transaction().execute(async (trx) => {
    if (trx.getExecutor().adapter instanceof PostgresAdapter) {
      await sql`SELECT pg_advisory_xact_lock(${lock})`.execute(trx);
    }
    return work(trx);
  });
}
