import SqliteDatabase from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StatementCache } from './statement-cache.js';

describe('StatementCache', () => {
  const connection = new SqliteDatabase(':memory:');

  it('prepares each SQL text once', () => {
    const cache = new StatementCache(connection);
    const first = cache.prepare('select 1 as one');
    expect(cache.prepare('select 1 as one')).toBe(first);
    expect(cache.prepare('select 2 as two')).not.toBe(first);
    expect(first.get()).toEqual({ one: 1 });
  });

  it('hands out a fresh statement while the cached one is still being iterated', () => {
    const cache = new StatementCache(connection);
    const sql = 'select 1 as n union all select 2';
    const iterating = cache.prepare(sql);
    const rows = iterating.iterate();
    expect(rows.next().value).toEqual({ n: 1 });
    const other = cache.prepare(sql);
    expect(other).not.toBe(iterating);
    expect(other.all()).toEqual([{ n: 1 }, { n: 2 }]);
    expect(rows.next().value).toEqual({ n: 2 });
    rows.return?.();
    expect(cache.prepare(sql)).toBe(iterating);
  });
});
