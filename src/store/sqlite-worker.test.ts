import { join } from 'node:path';
import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { openStore, type Store } from './database.js';

describe('the SQLite writer thread', () => {
  let store: Store | undefined;
  afterEach(async () => {
    await store?.close();
  });

  const cacheSize = async (db: Store['db']) =>
    (await sql<{ cache_size: number }>`pragma cache_size`.execute(db)).rows[0]?.cache_size;

  it('keeps a small page cache for single statements and a large one inside explicit transactions', async () => {
    store = openStore({ url: join(tempDir(), 'cache.db') });
    const { db } = store;
    expect(await cacheSize(db)).toBe(-2000);
    const inside = await db.transaction().execute((trx) => cacheSize(trx));
    expect(inside).toBe(-65536);
    expect(await cacheSize(db)).toBe(-2000);
    await expect(
      db.transaction().execute(async (trx) => {
        expect(await cacheSize(trx)).toBe(-65536);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await cacheSize(db)).toBe(-2000);
  });
});
