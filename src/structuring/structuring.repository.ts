/** Structuring runs and alerts in the service's store (any Kysely dialect). */
import type { Insertable, Kysely, Selectable, Updateable } from 'kysely';
import type { Database } from '../store/database.js';
import { QueryTemplates } from '../store/query-templates.js';
import { ALERT_END_DAY, MS_PER_ALERT_DAY } from '../store/migrations/0011-alert-end-day-index.js';
import type { StructuringAlertTable } from './structuring-alert.table.js';
import { FEATURES } from './structuring.js';
import type { StructuringRunTable } from './structuring-run.table.js';

export type RunRow = Selectable<StructuringRunTable>;
export type AlertRow = Selectable<StructuringAlertTable>;
export type NewAlertRow = Insertable<StructuringAlertTable>;

/**
 * Alerts per INSERT: 20 columns × 1,600 rows = 32,000 parameters, under the limit of the
 * SQLite that better-sqlite3 bundles (32,766) and of PostgreSQL (65,535). On the SQLite
 * thread each INSERT is a message and an answer; with 64 rows per INSERT a 20,000-alert batch
 * took 313 of them, each answer waiting while the event loop converted the next rows, and the
 * alerts stage of a 1M-row rules + z-score run took 8.2–8.5 s against 6.0 s with 2,000.
 */
export const ALERT_CHUNK = 1600;

/** Alert INSERTs compiled once per chunk size (see QueryTemplates). */
const templates = new QueryTemplates();

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

/**
 * Marks the run failed with `error` and deletes the alerts it stored before failing, in one
 * transaction: a failed run leaves no alerts behind (a later micro-batch stores them again).
 */
export async function failRun(db: Kysely<Database>, id: string, error: string): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('structuring_alerts').where('run_id', '=', id).execute();
    await updateRun(trx, id, { status: 'failed', finished_at: Date.now(), error });
  });
}

export async function findRun(db: Kysely<Database>, id: string): Promise<RunRow | undefined> {
  return db.selectFrom('structuring_runs').selectAll().where('id', '=', id).executeTakeFirst();
}

/**
 * The latest successful micro-batch (a run with a `covered_to`), by start: the one that
 * covered the latest arrivals (a batch's newest event time says nothing of them).
 */
export async function lastCoveredRun(db: Kysely<Database>): Promise<RunRow | undefined> {
  return db
    .selectFrom('structuring_runs')
    .selectAll()
    .where('status', '=', 'succeeded')
    .where('covered_to', 'is not', null)
    .orderBy('started_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst();
}

/** Columns of an alert in the order of {@link alertValues}. */
export const ALERT_COLUMNS = [
  'alert_key',
  'run_id',
  'method',
  'scope',
  'window_length',
  'user_id',
  'merchant_id',
  'transaction_id',
  'score',
  'votes',
  'window_start',
  'window_end',
  ...FEATURES,
  'label',
] as const satisfies readonly (keyof NewAlertRow)[];

/** One value of an alert's INSERT: every column is text, a number or NULL. */
export type AlertValue = string | number | null;

/** Alerts as flat INSERT parameters: row after row, {@link ALERT_COLUMNS} in order (missing → null). */
export function alertValues(alerts: readonly NewAlertRow[]): AlertValue[] {
  return alerts.flatMap((alert) => ALERT_COLUMNS.map((column) => alert[column] ?? null));
}

/** Flat values ({@link alertValues}) back as rows: only to compile an INSERT's text once. */
function alertRows(values: readonly AlertValue[]): Record<string, AlertValue | undefined>[] {
  const rows: Record<string, AlertValue | undefined>[] = [];
  for (let i = 0; i < values.length; i += ALERT_COLUMNS.length)
    rows.push(Object.fromEntries(ALERT_COLUMNS.map((column, j) => [column, values[i + j]])));
  return rows;
}

/**
 * Stores alerts in one transaction; an alert whose key is already stored (the same
 * window and method seen by an earlier micro-batch) is skipped. Returns how many were new.
 */
export async function insertAlerts(db: Kysely<Database>, alerts: readonly NewAlertRow[]): Promise<number> {
  return insertAlertValues(db, alertValues(alerts));
}

/**
 * {@link insertAlerts} for alerts given as flat values ({@link alertValues}), as a structuring
 * run makes them: no object per alert on the way to the store.
 */
export async function insertAlertValues(
  db: Kysely<Database>,
  values: readonly AlertValue[],
): Promise<number> {
  if (values.length === 0) return 0;
  const perInsert = ALERT_CHUNK * ALERT_COLUMNS.length;
  return db.transaction().execute(async (trx) => {
    let inserted = 0;
    for (let i = 0; i < values.length; i += perInsert) {
      const chunk = values.slice(i, i + perInsert);
      const query = templates.compile(db, `alerts:${chunk.length}`, chunk, () =>
        trx
          .insertInto('structuring_alerts')
          .values(alertRows(chunk) as NewAlertRow[])
          .onConflict((oc) => oc.column('alert_key').doNothing()),
      );
      inserted += Number((await trx.executeQuery(query)).numAffectedRows ?? 0);
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

/**
 * The indexed day of a window end `ms` (as the database computes it: integer division
 * truncates). Monotonic, so `window_end >= t` implies the day is at least `alertDay(t)`.
 */
const alertDay = (ms: number) => Math.trunc(ms / MS_PER_ALERT_DAY);

/** Alerts matching `filter`, newest window first, then highest score; the day index serves the order and time bounds. */
export async function listAlerts(db: Kysely<Database>, filter: AlertFilter): Promise<AlertRow[]> {
  return alertsQuery(db, filter).execute();
}

/** The query of {@link listAlerts}, not yet run (tests explain it). */
export function alertsQuery(db: Kysely<Database>, filter: AlertFilter) {
  let query = db.selectFrom('structuring_alerts').selectAll();
  if (filter.runId !== undefined) query = query.where('run_id', '=', filter.runId);
  if (filter.method !== undefined) query = query.where('method', '=', filter.method);
  if (filter.userId !== undefined) query = query.where('user_id', '=', filter.userId);
  if (filter.merchantId !== undefined) query = query.where('merchant_id', '=', filter.merchantId);
  if (filter.from !== undefined)
    query = query.where('window_end', '>=', filter.from).where(ALERT_END_DAY, '>=', alertDay(filter.from));
  if (filter.to !== undefined)
    query = query.where('window_end', '<=', filter.to).where(ALERT_END_DAY, '<=', alertDay(filter.to));
  // The day first (it only grows with window_end): the newest pages then walk the day index.
  return query
    .orderBy(ALERT_END_DAY, 'desc')
    .orderBy('window_end', 'desc')
    .orderBy('score', 'desc')
    .orderBy('alert_key')
    .limit(filter.limit)
    .offset(filter.offset ?? 0);
}

/** A row of the `structuring_consensus` view (migrations 0008, 0014: one per flagged window). */
export interface ConsensusRow {
  run_id: string;
  scope: string;
  window_length: string;
  user_id: string;
  merchant_id: string | null;
  transaction_id: string | null;
  window_start: number;
  window_end: number;
  /** Distinct methods that flagged the window. */
  methods: number;
  label: number | null;
}

/**
 * Windows of a run flagged by at least `minMethods` distinct methods, from the
 * `structuring_consensus` view (any m, not only the run's own), most methods first.
 */
export async function consensusWindows(
  db: Kysely<Database>,
  runId: string,
  minMethods: number,
  page: { readonly limit?: number; readonly offset?: number } = {},
): Promise<ConsensusRow[]> {
  const rows = await db
    .withTables<{ structuring_consensus: ConsensusRow }>()
    .selectFrom('structuring_consensus')
    .selectAll()
    .where('run_id', '=', runId)
    .where('methods', '>=', minMethods)
    .orderBy('methods', 'desc')
    .orderBy('window_end', 'desc')
    .orderBy('scope')
    .orderBy('window_length')
    .orderBy('user_id')
    .orderBy('merchant_id')
    .orderBy('transaction_id')
    .limit(page.limit ?? 1_000_000)
    .offset(page.offset ?? 0)
    .execute();
  // PostgreSQL answers count() and bigint columns as strings.
  return rows.map((r) => ({
    ...r,
    methods: Number(r.methods),
    window_start: Number(r.window_start),
    window_end: Number(r.window_end),
    label: r.label === null ? null : Number(r.label),
  }));
}

/** Runs, newest first, without their reports. */
export async function listRuns(
  db: Kysely<Database>,
  filter: { readonly status?: string; readonly limit: number; readonly offset?: number },
): Promise<Omit<RunRow, 'report'>[]> {
  let query = db
    .selectFrom('structuring_runs')
    .select([
      'id',
      'status',
      'source',
      'params',
      'started_at',
      'finished_at',
      'row_count',
      'window_count',
      'method_counts',
      'durations',
      'error',
      'covered_to',
    ]);
  if (filter.status !== undefined) query = query.where('status', '=', filter.status as RunRow['status']);
  return query
    .orderBy('started_at', 'desc')
    .orderBy('id')
    .limit(filter.limit)
    .offset(filter.offset ?? 0)
    .execute();
}
