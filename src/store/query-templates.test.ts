import { Kysely, SqliteDialect } from 'kysely';
import SqliteDatabase from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { QueryTemplates, rowParameters } from './query-templates.js';

interface Db {
  items: { id: number; name: string; kind: string };
}

describe('QueryTemplates', () => {
  let db: Kysely<Db>;
  beforeEach(async () => {
    db = new Kysely<Db>({ dialect: new SqliteDialect({ database: new SqliteDatabase(':memory:') }) });
    await db.schema
      .createTable('items')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text')
      .addColumn('kind', 'text')
      .execute();
  });
  afterEach(() => db.destroy());

  /** An insert of `rows` whose `on conflict` clause adds a constant parameter after the rows'. */
  const insertOf = (rows: Db['items'][]) =>
    db
      .insertInto('items')
      .values(rows)
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: 'replaced' }));

  it('compiles a shape once and runs it with each call’s parameters and its own constants', async () => {
    const templates = new QueryTemplates();
    let builds = 0;
    const insert = async (rows: Db['items'][]) => {
      const parameters = rowParameters(rows, ['id', 'name', 'kind']) ?? [];
      const query = templates.compile(db, `items:${rows.length}`, parameters, () => {
        builds++;
        return insertOf(rows);
      });
      await db.executeQuery(query);
      return query;
    };
    const first = await insert([{ id: 1, name: 'a', kind: 'x' }]);
    const second = await insert([{ id: 2, name: 'b', kind: 'y' }]);
    await insert([{ id: 1, name: 'c', kind: 'z' }]);
    expect(builds).toBe(1);
    expect(second.sql).toBe(first.sql);
    expect(second.parameters).toEqual([2, 'b', 'y', 'replaced']);
    expect(await db.selectFrom('items').selectAll().orderBy('id').execute()).toEqual([
      { id: 1, name: 'replaced', kind: 'x' },
      { id: 2, name: 'b', kind: 'y' },
    ]);
  });

  it('keeps compiling a query that does not begin with the given parameters', () => {
    const templates = new QueryTemplates();
    let builds = 0;
    for (const id of [1, 2, 3]) {
      const query = templates.compile(db, 'items:1', ['not', 'these'], () => {
        builds++;
        return insertOf([{ id, name: 'n', kind: 'k' }]);
      });
      expect(query.parameters).toEqual([id, 'n', 'k', 'replaced']);
    }
    expect(builds).toBe(3);
  });

  it('compiles an INSERT once per kind, row count and columns', async () => {
    const templates = new QueryTemplates();
    let builds = 0;
    const insert = async (kind: string, rows: Db['items'][]) => {
      const query = templates.insert(db, kind, rows, () => {
        builds++;
        return insertOf(rows);
      });
      await db.executeQuery(query);
    };
    await insert('items', [{ id: 1, name: 'a', kind: 'x' }]);
    await insert('items', [{ id: 2, name: 'b', kind: 'y' }]);
    expect(builds).toBe(1);
    await insert('other', [{ id: 3, name: 'c', kind: 'z' }]);
    await insert('items', [
      { id: 4, name: 'd', kind: 'x' },
      { id: 5, name: 'e', kind: 'x' },
    ]);
    expect(builds).toBe(3);
    const mixed = [{ id: 6, name: 'f', kind: 'x' }, { id: 7, name: 'g' } as Db['items']];
    await insert('items', mixed);
    await insert('items', mixed);
    expect(builds).toBe(5);
    expect((await db.selectFrom('items').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
  });

  it('keeps the shapes of one store apart from another’s', () => {
    const templates = new QueryTemplates();
    const other = {};
    const build = () => db.selectFrom('items').selectAll().where('id', '=', 1);
    templates.compile(db, 'one', [1], build);
    let built = false;
    templates.compile(other, 'one', [1], () => {
      built = true;
      return build();
    });
    expect(built).toBe(true);
  });
});

describe('rowParameters', () => {
  it('flattens rows row by row, in column order', () => {
    expect(
      rowParameters(
        [
          { a: 1, b: null },
          { b: 'x', a: 2 },
        ],
        ['a', 'b'],
      ),
    ).toEqual([1, null, 2, 'x']);
  });

  it('gives up on rows with other columns, an undefined value or an object (Kysely compiles other SQL for them)', () => {
    expect(rowParameters([{ a: 1 }, { a: 2, b: 3 }], ['a'])).toBeUndefined();
    expect(
      rowParameters(
        [
          { a: 1, b: 2 },
          { a: 2, c: 3 },
        ],
        ['a', 'b'],
      ),
    ).toBeUndefined();
    expect(rowParameters([{ a: 1, b: undefined }], ['a', 'b'])).toBeUndefined();
    expect(rowParameters([{ a: 1, b: { expression: true } }], ['a', 'b'])).toBeUndefined();
    expect(rowParameters([{ a: 1n, b: Buffer.from('x') }], ['a', 'b'])).toEqual([1n, Buffer.from('x')]);
  });
});
