/** Structuring runs and alerts in the service's store (any Kysely dialect). */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../store/database.js';
import type { StructuringAlertTable } from './structuring-alert.table.js';
import type { StructuringRunTable } from './structuring-run.table.js';

export type RunRow = Selectable<StructuringRunTable>;
export type AlertRow = Selectable<StructuringAlertTable>;
export type NewAlertRow = Insertable<StructuringAlertTable>;

/** Alerts per INSERT: 14 columns × 64 rows stays under SQLite's bound-parameter limit. */
const ALERT_CHUNK = 64;

export async function insertRun(db: Kysely<Database>, run: Insertable<StructuringRunTable>): Promise<void> {
  await db.insertInto('structuring_runs').values(run).execute();
}

export async function updateRun(
  db: Kysely<Database>,
  id: string,
  changes: Updateable<StructuringRunTable>,
): Promise<void> {
  await db.updateTable('structuring_runs').set(changes).where('id', '=', id).execute();
}

export async function findRun(db: Kysely<Database>, id: string): Promise<RunRow | undefined> {
  return db.selectFrom('structuring_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

/** The newest successful run over stored transactions with a `covered_to` (micro-batches). */
export async function lastCoveredRun(db: Kysely<Database>): Promise<RunRow | undefined> {
  return db
    .selectFrom('structuring_runs')
    .selectAll()
    .where('status', '=', 'succeeded')
    .where('covered_to', 'is not', null)
    .orderBy('covered_to', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/**
 * Stores alerts in one transaction; an alert whose key is already stored (the same
 * window and method seen by an earlier micro-batch) is skipped. Returns how many were new.
 */
export async function insertAlerts(db: Kysely<Database>, alerts: readonly NewAlertRow[]): Promise<number> {
  if (alerts.length === 0) return 0;
  return db.transaction().execute(async (trx) => {
    let inserted = 0;
    for (let i = 0; i < alerts.length; i += ALERT_CHUNK) {
      const result = await trx
        .insertInto('structuring_alerts')
        .values(alerts.slice(i, i + ALERT_CHUNK))
        .onConflict((oc) => oc.column('alert_key').doNothing())
        .executeTakeFirst();
      inserted += Number(result.numInsertedOrUpdatedRows ?? 0);
    }
    return inserted;
  });
}

/** Filters of `GET /v1/structuring/alerts`; times are window ends, ms, inclusive. */
export interface AlertFilter {
  readonly runId?: string;
  readonly method?: string;
  readonly userId?: string;
  readonly merchantId?: string;
  readonly from?: number;
  readonly to?: number;
  readonly limit: number;
  readonly offset?: number;
}

/** Alerts matching `filter`, newest window first, then highest score. */
export async function listAlerts(db: Kysely<Database>, filter: AlertFilter): Promise<AlertRow[]> {
  let query = db.selectFrom('structuring_alerts').selectAll();
  if (filter.runId !== undefined) query = query.where('run_id', '=', filter.runId);
  if (filter.method !== undefined) query = query.where('method', '=', filter.method);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.merchantId !== undefined) query = query.where('merchant_id', '=', filter.merchantId);
  if (filter.from !== undefined) query = query.where('window_end', '>=', filter.from);
  if (filter.to !== undefined) query = query.where('window_end', '<=', filter.to);
  return query
    .orderBy('window_end', 'desc')
    .orderBy('score', 'desc')
    .orderBy('alert_key')
    .limit(filter.limit)
    .offset(filter.offset ?? 0)
    .execute();
}

/**
 * Windows of a run flagged by at least `minMethods` distinct methods (the consensus view
 * for any m, computed from the per-method alerts).
 */
export async function consensusWindows(db: Kysely<Database>, runId: string, minMethods: number) {
  return db
    .selectFrom('structuring_alerts')
    .select((eb) => [
      'scope',
      'window_length',
      'user_id',
      'merchant_id',
      'window_end',
      eb.fn.count<number>('method').distinct().as('methods'),
    ])
    .where('run_id', '=', runId)
    .where('method', '!=', 'consensus')
    .groupBy(['scope', 'window_length', 'user_id', 'merchant_id', 'window_end'])
    .having((eb) => eb.fn.count('method').distinct(), '>=', minMethods)
    .orderBy('window_end')
    .execute();
}
