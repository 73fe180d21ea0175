/**
 * `--export`: every window with its keys, bounds, features and each method's score and
 * flag, written by DuckDB (COPY) as CSV or Parquet. Scores are appended to DuckDB per
 * group while the run goes; the file is written once at the end.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { GroupDetections } from './detect.js';
import { appendColumns, ident, literal } from './duckdb.js';
import { isParquet } from './table-files.js';
import type { WindowGroup } from './windows.js';

/** Name of the scores table of a group. */
function scoresTable(group: WindowGroup): string {
  return `scores_${group.index}`;
}

/** Appends a group's scores, flags and votes (row i = window rowid i). */
export async function keepScores(
  connection: DuckDBConnection,
  group: WindowGroup,
  detections: GroupDetections,
): Promise<void> {
  const methods = [...detections.results.keys()];
  const columns = methods.flatMap((m) => [`${m}_score`, `${m}_flag`]);
  await connection.run(
    `CREATE OR REPLACE TABLE ${scoresTable(group)} (rid DOUBLE, ${[...columns, 'votes'].map((c) => `${ident(c)} DOUBLE`).join(', ')})`,
  );
  const rid = Float64Array.from({ length: group.n }, (_, i) => i);
  const values = methods.flatMap((m) => {
    const r = detections.results.get(m);
    return r ? [r.scores, r.flags] : [];
  });
  await appendColumns(connection, scoresTable(group), [rid, ...values, detections.votes]);
}

/** Writes every kept group to `path` (`.parquet` → Parquet, anything else → CSV). */
export async function writeExport(
  connection: DuckDBConnection,
  groups: readonly WindowGroup[],
  methods: readonly string[],
  path: string,
): Promise<void> {
  const scoreColumns = methods
    .flatMap((m) => [
      `s.${ident(`${m}_score`)}`,
      `CAST(s.${ident(`${m}_flag`)} AS UTINYINT) AS ${ident(`${m}_flag`)}`,
    ])
    .join(', ');
  const selects = groups.map(
    (
      g,
    ) => `SELECT ${literal(g.scope)} AS scope, ${literal(g.window.label)} AS window_length, w.tx_id, w.user_id,
      w.merchant_id, epoch_ms(w.start_ms) AS window_start, epoch_ms(w.end_ms) AS window_end,
      w.* EXCLUDE (tx_id, user_id, merchant_id, start_ms, end_ms), ${scoreColumns},
      CAST(s.votes AS UTINYINT) AS votes
    FROM ${g.table} w JOIN ${scoresTable(g)} s ON w.rowid = s.rid::BIGINT`,
  );
  const format = isParquet(path) ? 'PARQUET' : 'CSV, HEADER';
  await connection.run(`COPY (${selects.join(' UNION ALL ')}) TO ${literal(path)} (FORMAT ${format})`);
}
