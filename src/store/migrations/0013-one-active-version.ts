import { sql, type Kysely, type Migration } from 'kysely';

/**
 * One active rule set, and one active and one shadow model, enforced by the database: unique
 * indexes over the rows that hold the flag or the role. Before them, two activations at the
 * same moment on PostgreSQL could leave two rule sets (or models) active, and each process
 * scored with whichever it read. A store left that way keeps the one activated last (of two
 * shadows, whose `activated_at` tells when each was last active: the one active last, else
 * the one created last).
 */
export const oneActiveVersion: Migration = {
  async up(db: Kysely<unknown>) {
    await sql`UPDATE rule_sets SET active = 0 WHERE active = 1 AND version <> (
      SELECT version FROM rule_sets WHERE active = 1
      ORDER BY COALESCE(activated_at, 0) DESC, version DESC LIMIT 1)`.execute(db);
    await db.schema
      .createIndex('rule_sets_one_active')
      .on('rule_sets')
      .column('active')
      .unique()
      .where(sql.ref('active'), '=', 1)
      .execute();

    await sql`UPDATE model_versions SET role = 'none' WHERE role <> 'none' AND version <> (
      SELECT latest.version FROM model_versions latest WHERE latest.role = model_versions.role
      ORDER BY COALESCE(latest.activated_at, 0) DESC, latest.created_at DESC, latest.version DESC LIMIT 1)`.execute(
      db,
    );
    await db.schema
      .createIndex('model_versions_one_per_role')
      .on('model_versions')
      .column('role')
      .unique()
      .where(sql.ref('role'), '<>', 'none')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex('model_versions_one_per_role').ifExists().execute();
    await db.schema.dropIndex('rule_sets_one_active').ifExists().execute();
  },
};
