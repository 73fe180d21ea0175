import { sql, type Kysely, type Migration } from 'kysely';

const INDEX = 'structuring_alerts_merchant';

function createMerchantIndex(db: Kysely<unknown>) {
  return db.schema.createIndex(INDEX).on('structuring_alerts').columns(['merchant_id', 'window_end']);
}

/**
 * Makes the (merchant_id, window_end) index of structuring alerts partial: only alerts
 * with a merchant (the per user-and-merchant windows) are in it. Per-user windows, most of
 * a run's alerts, have none, and inserting their NULL keys cost about a quarter of SQLite's
 * time per stored alert. `merchant_id = ?` filters still use the index.
 */
export const partialMerchantAlertIndex: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.dropIndex(INDEX).ifExists().execute();
    await createMerchantIndex(db).where(sql.ref('merchant_id'), 'is not', null).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropIndex(INDEX).ifExists().execute();
    await createMerchantIndex(db).execute();
  },
};
