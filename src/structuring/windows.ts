/**
 * Rolling-window features in DuckDB SQL. For every transaction, one window per key
 * (the user; the user with the merchant) and per length, ending at the transaction:
 * the key's transactions with timestamps in [t − L, t] (RANGE … PRECEDING AND CURRENT ROW,
 * so transactions at the same instant share their windows).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { queryNumber, streamTable, type Engine } from './duckdb.js';
import { FEATURES, SCOPES, type WindowLength, type WindowScope } from './structuring.js';

/** One population of windows: a scope and a length, stored in DuckDB table `table`. */
export interface WindowGroup {
  readonly index: number;
  readonly scope: WindowScope;
  readonly window: WindowLength;
  readonly table: string;
  readonly n: number;
}

/** The window features of a group as typed arrays, row i = rowid i of the group's table. */
export interface GroupFeatures {
  /** n × 7 row-major, in {@link FEATURES} order; NULL (no previous, one transaction) is NaN. */
  readonly features: Float64Array;
  /** Window end (the transaction's time), ms. */
  readonly endMs: Float64Array;
  /** 1 structuring, 0 not, −1 unlabelled. */
  readonly labels: Int8Array;
  readonly n: number;
}

const KEYS: Readonly<Record<WindowScope, string>> = {
  user: 'user_id',
  user_merchant: 'user_id, merchant_id',
};

/** The order of a group's windows: user, merchant (each by length, then text), end, transaction. */
const KEY_ORDER =
  'length(user_id), user_id, length(merchant_id) NULLS FIRST, merchant_id NULLS FIRST, end_ms, tx_id';

/** The window query of one scope and length over the table `tx`. */
export function windowSql(scope: WindowScope, window: WindowLength): string {
  const keys = KEYS[scope];
  const ms = Math.round(window.hours * 3_600_000);
  const w = `PARTITION BY ${keys} ORDER BY ts RANGE BETWEEN INTERVAL '${ms} milliseconds' PRECEDING AND CURRENT ROW`;
  return `SELECT tx_id, user_id, ${scope === 'user' ? 'CAST(NULL AS VARCHAR)' : 'merchant_id'} AS merchant_id,
      epoch_ms(min(ts) OVER w) AS start_ms, epoch_ms(ts) AS end_ms,
      count(amount) OVER w AS count_amt, sum(amount) OVER w AS sum_amt,
      avg(amount) OVER w AS mean_amt, stddev_samp(amount) OVER w AS std_amt,
      delta, avg(delta) OVER w AS mean_delta, stddev_samp(delta) OVER w AS std_delta, label
    FROM (
      SELECT *, date_diff('millisecond', lag(ts) OVER (PARTITION BY ${keys} ORDER BY ts, tx_id), ts) / 3600000.0 AS delta
      FROM tx ${scope === 'user_merchant' ? 'WHERE merchant_id IS NOT NULL' : ''}
    )
    WINDOW w AS (${w})`;
}

/** Materialises every (scope, length) group as table `w_<index>`. */
export async function buildWindows(
  connection: DuckDBConnection,
  windows: readonly WindowLength[],
  onGroup?: (done: number, total: number) => void,
): Promise<WindowGroup[]> {
  const groups: WindowGroup[] = [];
  const plan = SCOPES.flatMap((scope) => windows.map((window) => ({ scope, window })));
  for (const [index, { scope, window }] of plan.entries()) {
    const table = `w_${index}`;
    // In a fixed order: DuckDB's parallel window query returns rows in a different order
    // from run to run, and the detectors' seeded fit samples are drawn by row position. Ids
    // shorter first, as alert keys hold them (`3:u10` after `2:u9`), so that a run's alerts
    // reach the key index in ascending order (see alerts.ts).
    await connection.run(`CREATE OR REPLACE TABLE ${table} AS SELECT * FROM (${windowSql(scope, window)})
      ORDER BY ${KEY_ORDER}`);
    const n = await queryNumber(connection, `SELECT count(*) FROM ${table}`);
    groups.push({ index, scope, window, table, n });
    onGroup?.(index + 1, plan.length);
  }
  return groups;
}

/** Allocates a Float64Array, on shared memory so worker threads can read it without a copy. */
export function sharedFloat64(length: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(length * Float64Array.BYTES_PER_ELEMENT));
}

/** Reads a group's features, window ends and labels in typed-array chunks, over several connections. */
export async function readGroup(engine: Pick<Engine, 'connect'>, group: WindowGroup): Promise<GroupFeatures> {
  const d = FEATURES.length;
  const features = sharedFloat64(group.n * d);
  const endMs = new Float64Array(group.n);
  const labels = new Int8Array(group.n);
  const columns = FEATURES.map((f) => `CAST(${f} AS DOUBLE)`).join(', ');
  const read = `${columns}, CAST(end_ms AS DOUBLE), CAST(coalesce(label, -1) AS DOUBLE)`;
  const rows = await streamTable(engine, group.table, read, group.n, (ids, j, values, count) => {
    if (j < d) for (let i = 0; i < count; i++) features[(ids[i] ?? 0) * d + j] = values[i] ?? NaN;
    else if (j === d) for (let i = 0; i < count; i++) endMs[ids[i] ?? 0] = values[i] ?? NaN;
    else for (let i = 0; i < count; i++) labels[ids[i] ?? 0] = values[i] ?? -1;
  });
  // Rowids 0 … n − 1 (the table is made by buildWindows): any other count is a bug, not data.
  if (rows !== group.n) throw new Error(`read ${rows} of the ${group.n} windows of ${group.table}`);
  return { features, endMs, labels, n: group.n };
}

/**
 * Largest value of each of `features` over every group's windows (0 when none), with a
 * missing `delta` counted as the window length, as the detectors see it.
 */
export async function featureMaxima(
  connection: DuckDBConnection,
  groups: readonly WindowGroup[],
  features: readonly string[],
): Promise<number[]> {
  if (groups.length === 0) return features.map(() => 0);
  const columns = features.map((f) => `coalesce(max(${f}), 0)::DOUBLE AS ${f}`).join(', ');
  const select = (g: WindowGroup) =>
    features.map((f) => (f === 'delta' ? `coalesce(delta, ${g.window.hours}) AS delta` : f)).join(', ');
  const union = groups.map((g) => `SELECT ${select(g)} FROM ${g.table}`).join(' UNION ALL ');
  const reader = await connection.runAndReadAll(`SELECT ${columns} FROM (${union})`);
  return (reader.getRows()[0] ?? []).map(Number);
}
