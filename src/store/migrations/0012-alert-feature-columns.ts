import { PostgresAdapter, sql, type Kysely, type Migration } from 'kysely';

/** The window features of an alert (structuring.ts's FEATURES; repeated: a migration must not change). */
const FEATURES = ['count_amt', 'sum_amt', 'mean_amt', 'std_amt', 'delta', 'mean_delta', 'std_delta'];

/** `features ->> name` as a number on either database (SQLite's JSON functions; PostgreSQL's json). */
function fromJson(db: Kysely<unknown>, name: string) {
  return db.getExecutor().adapter instanceof PostgresAdapter
    ? sql`CAST(CAST(features AS json) ->> ${sql.lit(name)} AS double precision)`
    : sql`json_extract(features, ${sql.lit(`$.${name}`)})`;
}

/** The JSON of the feature columns, for the way back. */
function toJson(db: Kysely<unknown>) {
  const pairs = FEATURES.map((f) => sql`${sql.lit(f)}, ${sql.ref(f)}`);
  const build = db.getExecutor().adapter instanceof PostgresAdapter ? 'json_build_object' : 'json_object';
  return sql`CAST(${sql.raw(build)}(${sql.join(pairs)}) AS text)`;
}

/**
 * Runs `work` as one transaction: a store stopped between these statements (the UPDATE and
 * the DROP rewrite every alert) would be left with the new columns and fail this migration on
 * every later start. Migration runs are one transaction on both stores (on SQLite since the
 * dialect's migration adapter), so this only matters for a caller that runs it outside one.
 */
async function atomically(db: Kysely<unknown>, work: (db: Kysely<unknown>) => Promise<void>) {
  if (db.isTransaction) await work(db);
  else await db.transaction().execute(work);
}

/**
 * Stores an alert's window features as seven number columns instead of one JSON text. A
 * structuring run stores millions of alerts: the JSON was about 45% of a row (174 of 383
 * bytes on SQLite), and writing it cost the run a number-to-text conversion per feature
 * per window. The columns can also be filtered in SQL (`WHERE sum_amt > 5000`).
 */
export const alertFeatureColumns: Migration = {
  up: (db: Kysely<unknown>) =>
    atomically(db, async (trx) => {
      for (const f of FEATURES)
        await trx.schema.alterTable('structuring_alerts').addColumn(f, 'double precision').execute();
      const set = FEATURES.map((f) => sql`${sql.ref(f)} = ${fromJson(trx, f)}`);
      await sql`UPDATE structuring_alerts SET ${sql.join(set)}`.execute(trx);
      await trx.schema.alterTable('structuring_alerts').dropColumn('features').execute();
    }),
  down: (db: Kysely<unknown>) =>
    atomically(db, async (trx) => {
      await trx.schema
        .alterTable('structuring_alerts')
        .addColumn('features', 'text', (c) => c.notNull().defaultTo('{}'))
        .execute();
      await sql`UPDATE structuring_alerts SET features = ${toJson(trx)}`.execute(trx);
      for (const f of FEATURES) await trx.schema.alterTable('structuring_alerts').dropColumn(f).execute();
    }),
};
