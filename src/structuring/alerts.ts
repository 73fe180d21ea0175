/**
 * Turns flags into stored alerts: the flagged rows (sparse) go to DuckDB, are joined with
 * their windows there for keys, bounds and features, and are stored through Kysely a
 * batch at a time. A window flagged by at least `minMethods` methods also gets a
 * `consensus` alert whose score is that number.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { GroupDetections } from './detect.js';
import { appendColumns } from './duckdb.js';
import { insertAlerts, type NewAlertRow } from './structuring.repository.js';
import { FEATURES } from './structuring.js';
import type { WindowGroup } from './windows.js';

export interface AlertContext {
  readonly db: Kysely<Database>;
  readonly runId: string;
  /** Alert keys start with it: the run id, or `store` for micro-batches over the store. */
  readonly namespace: string;
  readonly minMethods: number;
  /** Only windows ending after this time (ms) become alerts (micro-batches). */
  readonly scoreAfter?: number;
}

/**
 * Alerts per stored batch (one transaction). Larger batches dirty each index page once for
 * many rows: on a table of 2M alerts, 20,000 per transaction (with the writer's 64 MB page
 * cache) cost 62 µs per row against 117 µs at 5,000. On SQLite a live scoring commit waits
 * for the batch in progress (about a second at that size).
 */
const BATCH = 20_000;

/** Sparse flag columns of windows ending after `after`: window row, method position, score, votes. */
function flaggedRows(detections: GroupDetections, endMs: Float64Array, minMethods: number, after: number) {
  const rid: number[] = [];
  const method: number[] = [];
  const score: number[] = [];
  const votes: number[] = [];
  const push = (r: number, m: number, s: number) => {
    if (!((endMs[r] ?? 0) > after)) return;
    rid.push(r);
    method.push(m);
    score.push(Number.isFinite(s) ? s : Number.MAX_VALUE);
    votes.push(detections.votes[r] ?? 0);
  };
  const methods = [...detections.results.keys()];
  methods.forEach((name, m) => {
    const result = detections.results.get(name);
    result?.flags.forEach((flag, r) => flag && push(r, m, result.scores[r] ?? 0));
  });
  detections.votes.forEach((v, r) => v >= minMethods && push(r, methods.length, v));
  return { columns: [rid, method, score, votes], names: [...methods, 'consensus'] };
}

/** VARCHAR values arrive as strings; NULL as null. */
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

function alertOf(
  row: readonly unknown[],
  names: readonly string[],
  group: WindowGroup,
  ctx: AlertContext,
): NewAlertRow {
  const [m, score, votes, txValue, userValue, merchantValue, start, end, ...rest] = row;
  const [txId, userId, merchantId] = [text(txValue), text(userValue) ?? '', text(merchantValue)];
  const method = names[Number(m)] ?? 'unknown';
  const features = Object.fromEntries(FEATURES.map((f, j) => [f, rest[j] === null ? null : Number(rest[j])]));
  const label = rest[FEATURES.length];
  const key = [ctx.namespace, method, group.scope, group.window.label, userId, merchantId ?? '', end];
  return {
    alert_key: key.map(String).join('|'),
    run_id: ctx.runId,
    method,
    scope: group.scope,
    window_length: group.window.label,
    user_id: userId,
    merchant_id: merchantId,
    transaction_id: txId,
    score: Number(score),
    votes: Number(votes),
    window_start: Number(start),
    window_end: Number(end),
    features: JSON.stringify(features),
    label: label === null || label === undefined ? null : Number(label),
  };
}

/**
 * Stores a group's alerts; returns flagged windows per method (consensus included) and
 * how many alerts were new. Consensus keys are kept in DuckDB table `consensus_keys`.
 */
export async function storeGroupAlerts(
  connection: DuckDBConnection,
  group: WindowGroup,
  endMs: Float64Array,
  detections: GroupDetections,
  ctx: AlertContext,
): Promise<{ counts: Record<string, number>; stored: number }> {
  const { columns, names } = flaggedRows(detections, endMs, ctx.minMethods, ctx.scoreAfter ?? -Infinity);
  const counts = Object.fromEntries(names.map((n) => [n, 0]));
  for (const m of columns[1] ?? []) counts[names[m] ?? ''] = (counts[names[m] ?? ''] ?? 0) + 1;
  await connection.run('CREATE OR REPLACE TABLE flags (rid DOUBLE, m DOUBLE, score DOUBLE, votes DOUBLE)');
  await appendColumns(connection, 'flags', columns);
  await connection.run(`CREATE TABLE IF NOT EXISTS consensus_keys (user_id VARCHAR, merchant_id VARCHAR)`);
  await connection.run(`INSERT INTO consensus_keys SELECT w.user_id, w.merchant_id FROM flags f
    JOIN ${group.table} w ON w.rowid = f.rid::BIGINT WHERE f.m = ${names.length - 1}`);
  const result = await connection.stream(`SELECT f.m, f.score, f.votes, w.tx_id, w.user_id, w.merchant_id,
      w.start_ms, w.end_ms, ${FEATURES.map((f) => `w.${f}`).join(', ')}, w.label
    FROM flags f JOIN ${group.table} w ON w.rowid = f.rid::BIGINT`);
  const writer = new AlertWriter(ctx.db);
  try {
    let batch: NewAlertRow[] = [];
    for (
      let chunk = await result.fetchChunk();
      chunk && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    ) {
      for (const row of chunk.getRows()) batch.push(alertOf(row, names, group, ctx));
      if (batch.length >= BATCH) {
        await writer.write(batch);
        batch = [];
      }
    }
    await writer.write(batch);
    return { counts, stored: await writer.finish() };
  } finally {
    await writer.settle();
  }
}

/**
 * Stores batches of alerts one at a time while the next batch is being built: the store
 * (SQLite's thread, or PostgreSQL) works while this thread reads and converts rows.
 */
export class AlertWriter {
  private pending: Promise<number> = Promise.resolve(0);
  private stored = 0;

  constructor(private readonly db: Kysely<Database>) {}

  /** Waits for the batch in flight (its error is thrown here), then sends `batch`. */
  async write(batch: readonly NewAlertRow[]): Promise<void> {
    this.stored += await this.pending;
    this.pending = insertAlerts(this.db, batch);
    // Marked handled at once: it may fail while the caller awaits something else, which
    // must not end the process as an unhandled rejection. Awaiting it still throws.
    this.pending.catch(() => undefined);
  }

  /** Alerts stored in all, once the last batch is in. */
  async finish(): Promise<number> {
    this.stored += await this.pending;
    this.pending = Promise.resolve(0);
    return this.stored;
  }

  /** After a failure elsewhere: waits for the batch in flight to end (its outcome no longer matters). */
  async settle(): Promise<void> {
    await this.pending.catch(() => 0);
  }
}

/** Users and merchants with the most consensus alerts so far in this engine. */
export async function topConsensusKeys(connection: DuckDBConnection, limit = 10) {
  const exists = await connection.runAndReadAll(
    `SELECT count(*) FROM information_schema.tables WHERE table_name = 'consensus_keys'`,
  );
  if (Number(exists.getRows()[0]?.[0] ?? 0) === 0) return { users: [], merchants: [] };
  const top = async (column: string) => {
    const reader = await connection.runAndReadAll(`SELECT ${column}, count(*) AS alerts FROM consensus_keys
      WHERE ${column} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ${limit}`);
    return reader.getRows().map(([key, alerts]) => ({ key: String(key), alerts: Number(alerts) }));
  };
  return { users: await top('user_id'), merchants: await top('merchant_id') };
}
