import { sql, type Kysely, type Migration } from 'kysely';

const INDEX = 'rule_sets_one_active';

/**
 * At most one active rule set, enforced by the database: a unique index over the rows with
 * `active = 1`. Before it, two activations at the same moment on PostgreSQL could leave two
 * sets active, and each process would then score with whichever it read. A store left that
 * way keeps the set activated last.
 */
export const oneActiveRuleSet: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`UPDATE rule_sets SET active = 0 WHERE active = 1 AND version <> (
      SELECT version FROM rule_sets WHERE active = 1
      ORDER BY COALESCE(activated_at, 0) DESC, version DESC LIMIT 1)`.execute(db);
    await db.schema
      .createIndex(INDEX)
      .on('rule_sets')
      .column('active')
      .unique()
      .where(sql.ref('active'), '=', 1)
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex(INDEX).ifExists().execute();
  },
};
