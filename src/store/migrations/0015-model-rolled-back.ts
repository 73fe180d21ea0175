import type { Kysely, Migration } from 'kysely';

/**
 * When a model version was last rolled back from (null: never, or activated again since), so
 * that a second rollback goes further back instead of returning to the version just left.
 */
export const modelRolledBack: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('model_versions').addColumn('rolled_back_at', 'bigint').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('model_versions').dropColumn('rolled_back_at').execute();
  },
};
