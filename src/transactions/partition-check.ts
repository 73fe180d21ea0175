import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import { partitionOf } from '../shared/partition.js';
import type { Database } from '../store/database.js';

/** The newest stored transactions a start checks. */
const SAMPLE = 200;

/** The most partitions a deployment can have (CENTINELA_PARTITIONS). */
const MAX_PARTITIONS = 1024;

/**
 * Refuses a partition count other than the one the newest stored transactions were spread
 * over (CONFIG_INVALID, naming it when only one fits them). A worker loads the velocity state of
 * its partitions' accounts by their stored partition: after a change, an account whose
 * partition moved started from nothing (no earlier transactions in its windows).
 */
export async function assertStoredPartitions(db: Kysely<Database>, partitions: number): Promise<void> {
  const rows = await db
    .selectFrom('transactions')
    .select(['account_id', 'partition'])
    .where('partition', '>=', 0) // -1: stored before partitions existed
    .orderBy('seq', 'desc')
    .limit(SAMPLE)
    .execute();
  const fits = (count: number) => rows.every((r) => partitionOf(r.account_id, count) === Number(r.partition));
  if (fits(partitions)) return;
  const counts = Array.from({ length: MAX_PARTITIONS }, (_, i) => i + 1).filter(fits);
  const stored = counts.length === 1 ? counts[0] : undefined; // few rows may fit several
  const count = stored === undefined ? 'another number of' : String(stored);
  const message =
    `CENTINELA_PARTITIONS is ${partitions}, but the stored transactions were spread over ${count} partitions. ` +
    `Every process of a deployment needs the same count, kept for good${stored === undefined ? '' : `: set ${stored}`}.`;
  throw new AppError('CONFIG_INVALID', message, {
    details: { field: 'CENTINELA_PARTITIONS', partitions, expected: stored ?? null },
  });
}
