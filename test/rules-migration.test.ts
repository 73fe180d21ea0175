import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { createMigrator } from '../src/store/database.js';
import { availableDialects, storeForSuite } from './dialects.js';

const dialects = await availableDialects();

describe.each(dialects)("each rule set version's number of rules (migration 0016) on %s", (dialect) => {
  const store = storeForSuite(dialect);
  const migrator = () => createMigrator(store.db);
  const insert = (version: number, document: string) =>
    sql`INSERT INTO rule_sets (version, name, document, created_at, created_by, active, activated_at)
      VALUES (${version}, ${`v${version}`}, ${document}, 0, 'test', 0, null)`.execute(store.db);
  const counts = async () =>
    (
      await sql<{ version: number; rule_count: number }>`SELECT version, rule_count FROM rule_sets
        ORDER BY version`.execute(store.db)
    ).rows.map((r) => [Number(r.version), Number(r.rule_count)]);

  it('counts the rules of the versions stored before it, 0 for a document that is not a rule set', async () => {
    expect((await migrator().migrateTo('0015-model-rolled-back')).error).toBeUndefined();
    await insert(1, JSON.stringify(DEFAULT_RULE_SET));
    await insert(2, 'not json');
    await insert(3, '{}');
    await insert(4, '{"rules": []}');
    await insert(5, JSON.stringify({ rules: [{ id: 'A' }, { id: 'B' }] }));
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    expect(await counts()).toEqual([
      [1, DEFAULT_RULE_SET.rules.length],
      [2, 0],
      [3, 0],
      [4, 0],
      [5, 2],
    ]);
    await insert(6, '{}'); // a row written without the column (by hand) counts 0
    expect((await counts()).at(-1)).toEqual([6, 0]);

    expect((await migrator().migrateTo('0015-model-rolled-back')).error).toBeUndefined();
    await expect(counts()).rejects.toThrow(); // the column is gone again
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
  });
});
