import type { Kysely } from 'kysely';
import { partitionCountError, partitionOf } from '../shared/partition.js';
import type { Database } from '../store/database.js';
import { createTransport, type Transport, type TransportConfig } from '../transport/index.js';

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
  throw partitionCountError(partitions, 'the stored transactions were spread over', stored);
}

/**
 * The distributed mode's transport, once the streams (on opening) and the stored transactions
 * agree with `config.partitions`; the streams' check comes first, as it names the count surely.
 */
export async function openCheckedTransport(
  db: Kysely<Database>,
  config: TransportConfig,
): Promise<Transport> {
  const transport = await createTransport(config);
  try {
    await assertStoredPartitions(db, config.partitions);
    return transport;
  } catch (error) {
    await transport.close();
    throw error;
  }
}
