import { sql, type Kysely, type Migration } from 'kysely';

/**
 * The number of rules of a stored document, 0 when it is not a rule set (not JSON, or no
 * `rules` array: written to the store by hand). Repeated from the rules feature: a migration
 * must not change.
 */
function ruleCountOf(text: string): number {
  try {
    const document = JSON.parse(text) as { rules?: unknown } | null;
    return Array.isArray(document?.rules) ? document.rules.length : 0;
  } catch {
    return 0;
  }
}

/**
 * Each rule set version's number of rules as a column, so that listing versions reads no
 * document (one may be a megabyte; listing them all answered tens of megabytes and held up
 * scoring). Existing rows are counted here, each document read and parsed once, one at a time.
 */
export const ruleCount: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('rule_sets')
      .addColumn('rule_count', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    const versions = await sql<{ version: number }>`SELECT version FROM rule_sets`.execute(db);
    for (const { version } of versions.rows) {
      const row = await sql<{ document: string }>`SELECT document FROM rule_sets
        WHERE version = ${version}`.execute(db);
      const count = ruleCountOf(row.rows[0]?.document ?? '');
      if (count > 0)
        await sql`UPDATE rule_sets SET rule_count = ${count} WHERE version = ${version}`.execute(db);
    }
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('rule_sets').dropColumn('rule_count').execute();
  },
};
