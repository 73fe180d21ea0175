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

  type Db = Store['db'];
  const cacheSize = async (db: Db) =>
    (await sql<{ cache_size: number }>`pragma cache_size`.execute(db)).rows[0]?.cache_size;
  const names = async (db: Db) =>
    (await sql<{ name: string }>`select name from notes order by name`.execute(db)).rows.map((r) => r.name);
  const add = (db: Db, name: string) => sql`insert into notes (name) values (${name})`.execute(db);

  async function open(): Promise<Db> {
    store = openStore({ url: join(tempDir(), 'writer.db') });
    await sql`create table notes (name text primary key)`.execute(store.db);
    return store.db;
  }

  it('runs single statements with a 2 MB page cache and explicit transactions with 64 MB', async () => {
    const db = await open();
    expect(await cacheSize(db)).toBe(-2000);
    expect(await db.transaction().execute((trx) => cacheSize(trx))).toBe(-65536);
    expect(await cacheSize(db)).toBe(-2000);
  });

  it('sees the same data from single statements and transactions, and rolls back', async () => {
    const db = await open();
    await add(db, 'a');
    await db.transaction().execute(async (trx) => {
      expect(await names(trx)).toEqual(['a']);
      await add(trx, 'b');
    });
    expect(await names(db)).toEqual(['a', 'b']);
    await add(db, 'c');
    await expect(
      db.transaction().execute(async (trx) => {
        await add(trx, 'd');
        expect(await names(trx)).toEqual(['a', 'b', 'c', 'd']);
        throw new Error('rolled back');
      }),
    ).rejects.toThrow('rolled back');
    expect(await names(db)).toEqual(['a', 'b', 'c']);
    await add(db, 'e');
    expect(await db.transaction().execute((trx) => names(trx))).toEqual(['a', 'b', 'c', 'e']);
  });
});
