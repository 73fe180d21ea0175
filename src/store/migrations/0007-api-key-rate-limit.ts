import type { Kysely, Migration } from 'kysely';

/** A per-key rate limit (requests per minute; null = the configured default). */
export const apiKeyRateLimit: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('api_keys').addColumn('rate_limit_per_minute', 'integer').execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.alterTable('api_keys').dropColumn('rate_limit_per_minute').execute();
  },
};
