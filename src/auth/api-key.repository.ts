import type { Insertable, Kysely, Selectable } from 'kysely';
import type { Database } from '../store/database.js';
import { exclusiveTransaction } from '../store/exclusive-transaction.js';
import type { ApiKeyTable } from './api-key.table.js';

export type ApiKeyRow = Selectable<ApiKeyTable>;

export async function insertApiKey(db: Kysely<Database>, row: Insertable<ApiKeyTable>): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function findApiKey(db: Kysely<Database>, id: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function listApiKeys(db: Kysely<Database>): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().orderBy('created_at', 'desc').execute();
}

/** The advisory lock of the first key ("CKEY"). */
const API_KEYS_LOCK = 0x434b4559;

/** Inserts `row` unless a key exists (first start); true if it did. */
export async function insertFirstApiKey(
  db: Kysely<Database>,
  row: Insertable<ApiKeyTable>,
): Promise<boolean> {
  return exclusiveTransaction(db, API_KEYS_LOCK, async (trx) => {
    if ((await countApiKeys(trx)) > 0) return false;
    await insertApiKey(trx, row);
    return true;
  });
}

export async function countApiKeys(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('api_keys')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

/** Marks a key revoked; false when there is no such active key. */
export async function revokeApiKey(db: Kysely<Database>, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('api_keys')
    .set({ revoked_at: now })
    .where('id', '=', id)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}
