/**
 * Turns flags into stored alerts. The windows that get at least one alert go to DuckDB,
 * which returns their keys, bounds, features and label a chunk of typed arrays at a time;
 * each window's key and features are made once, then one alert per method that flagged
 * it (and a `consensus` alert, whose score is the number of methods, when at least
 * `minMethods` did) is added to the batch as flat INSERT values, stored through Kysely a
 * batch at a time.
 */
import type { DuckDBConnection, DuckDBDataChunk, DuckDBVector } from '@duckdb/node-api';
import type { Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import type { GroupDetections } from './detect.js';
import type { ScoreResult } from './detectors/detector.js';
import { appendColumns, readNumbers } from './duckdb.js';
import { ALERT_CHUNK, ALERT_COLUMNS, insertAlertValues, type AlertValue } from './structuring.repository.js';
import { CONSENSUS_METHOD, FEATURES } from './structuring.js';
import type { WindowGroup } from './windows.js';

export interface AlertContext {
  readonly db: Kysely<Database>;
  readonly runId: string;
  /** Alert keys start with it: the run id, or `store` for micro-batches over the store. */
  readonly namespace: string;
  readonly minMethods: number;
  /** Only windows ending after this time (ms) become alerts (micro-batches). */
  readonly scoreAfter?: number;
  /** Alerts per transaction: default {@link BATCH}; a multiple of `ALERT_CHUNK`. */
  readonly batch?: number;
}

/**
 * Alerts per stored batch (one transaction). Larger batches dirty each index page once for
 * many rows: on a table of 2M alerts, 20,000 per transaction (with the writer's 64 MB page
 * cache) cost 62 µs per row against 117 µs at 5,000. On SQLite a live scoring commit waits
 * for the batch in progress (about a second at that size). A whole number of INSERTs, so that
 * every batch but a group's last is the same two statements (compiled and prepared once).
 */
const BATCH = 12 * ALERT_CHUNK;

/** Numbers read for each alerted window: its row, bounds, features and label (NULL → NaN). */
const NUMBERS = ['rid', 'start_ms', 'end_ms', ...FEATURES, 'label'] as const;
const [START, END, FIRST_FEATURE, LABEL] = [1, 2, 3, 3 + FEATURES.length];
/** Then its strings: the ending transaction, the user, the merchant. */
const STRINGS = ['tx_id', 'user_id', 'merchant_id'] as const;
const [TX, USER, MERCHANT] = [0, 1, 2];

/** Rows (ascending) that get at least one alert: flagged, or consensus, and ending after `after`. */
function alertedRows(votes: Uint8Array, endMs: Float64Array, minMethods: number, after: number): number[] {
  const rows: number[] = [];
  for (let r = 0; r < votes.length; r++) {
    const v = votes[r] ?? 0;
    if ((v > 0 || v >= minMethods) && (endMs[r] ?? 0) > after) rows.push(r);
  }
  return rows;
}

/** VARCHAR values arrive as strings; NULL as null. */
const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** A chunk read: the NUMBERS columns as typed arrays (NULL → NaN), the STRINGS columns as vectors. */
interface ReadChunk {
  readonly numbers: readonly Float64Array[];
  readonly strings: readonly DuckDBVector[];
}

const numberAt = (chunk: ReadChunk, j: number, i: number) => chunk.numbers[j]?.[i] ?? NaN;
const stringAt = (chunk: ReadChunk, j: number, i: number) => text(chunk.strings[j]?.getItem(i));
/** NULL (read as NaN) and ±Infinity (a sum past the largest double) as null, as JSON had them. */
const orNull = (v: number) => (Number.isFinite(v) ? v : null);

/** What every alert of one window shares. */
interface WindowParts {
  /** The window's row in its group. */
  readonly row: number;
  /**
   * The alert key after the namespace and method: scope, length, user, merchant, end,
   * transaction. The user before the end: a run reads its alerted windows user by user, so
   * each method's keys then mostly come in ascending order and land at the end of its part of the
   * key index (with the end first they landed on random pages: twice the store's time per
   * alert on 4.4M alerts).
   */
  readonly keyTail: string;
  readonly userId: string;
  readonly merchantId: string | null;
  readonly txId: string | null;
  readonly start: number;
  readonly end: number;
  /** In FEATURES order. */
  readonly features: readonly (number | null)[];
  readonly label: number | null;
}

/**
 * A text as part of an alert key: its length, then itself, so that no two keys are equal
 * unless their parts are (`a|b` + `c` and `a` + `b|c` were one key, and one alert was lost).
 */
const sized = (value: string | null) => (value === null ? '-' : `${value.length}:${value}`);

/** The window in row i of `chunk`. The transaction ending it is in its key: windows of one key that end at one instant are alerts of their own. */
function windowOf(chunk: ReadChunk, i: number, group: WindowGroup): WindowParts {
  const userId = stringAt(chunk, USER, i) ?? '';
  const merchantId = stringAt(chunk, MERCHANT, i);
  const end = numberAt(chunk, END, i);
  const txId = stringAt(chunk, TX, i);
  return {
    row: numberAt(chunk, 0, i),
    keyTail: `|${group.scope}|${group.window.label}|${sized(userId)}|${sized(merchantId)}|${end}|${sized(txId)}`,
    userId,
    merchantId,
    txId,
    start: numberAt(chunk, START, i),
    end,
    features: FEATURES.map((_, j) => orNull(numberAt(chunk, FIRST_FEATURE + j, i))),
    label: orNull(numberAt(chunk, LABEL, i)),
  };
}

/** Makes the flat INSERT values of a group's alerts, window by window, and counts them per method. */
class AlertRows {
  readonly counts: Record<string, number>;
  private values: AlertValue[] = [];
  private readonly names: string[];
  private readonly results: ScoreResult[];

  constructor(
    private readonly group: WindowGroup,
    private readonly detections: GroupDetections,
    private readonly ctx: AlertContext,
  ) {
    this.names = [...detections.results.keys()];
    this.results = [...detections.results.values()];
    this.counts = Object.fromEntries([...this.names, CONSENSUS_METHOD].map((n) => [n, 0]));
  }

  get size(): number {
    return this.values.length / ALERT_COLUMNS.length;
  }

  /** Removes and returns the values of the first `count` alerts (all of them by default). */
  take(count = this.size): AlertValue[] {
    return this.values.splice(0, count * ALERT_COLUMNS.length);
  }

  /** The alerts of window `w`: one per method that flagged it, and the consensus. */
  addWindow(w: WindowParts): void {
    const votes = this.detections.votes[w.row] ?? 0;
    for (let m = 0; m < this.results.length; m++) {
      const result = this.results[m];
      if (result?.flags[w.row]) this.add(this.names[m] ?? 'unknown', result.scores[w.row] ?? 0, votes, w);
    }
    if (votes >= this.ctx.minMethods) this.add(CONSENSUS_METHOD, votes, votes, w);
  }

  /** One alert's values, in ALERT_COLUMNS order. */
  private add(method: string, score: number, votes: number, w: WindowParts): void {
    this.counts[method] = (this.counts[method] ?? 0) + 1;
    const { scope, window } = this.group;
    const values = this.values;
    values.push(
      `${this.ctx.namespace}|${method}${w.keyTail}`,
      this.ctx.runId,
      method,
      scope,
      window.label,
      w.userId,
      w.merchantId,
      w.txId,
      Number.isFinite(score) ? score : Number.MAX_VALUE,
      votes,
      w.start,
      w.end,
    );
    for (const feature of w.features) values.push(feature);
    values.push(w.label);
  }
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
  const result = await alertedWindows(connection, group, endMs, detections, ctx);
  const alerts = new AlertRows(group, detections, ctx);
  const writer = new AlertWriter(ctx.db);
  const batch = ctx.batch ?? BATCH;
  const columns = NUMBERS.map(() => new Float64Array(0));
  try {
    for (
      let chunk = await result.fetchChunk();
      chunk && chunk.rowCount > 0;
      chunk = await result.fetchChunk()
    ) {
      const read = readChunk(chunk, columns);
      for (let i = 0; i < chunk.rowCount; i++) alerts.addWindow(windowOf(read, i, group));
      if (alerts.size >= batch) await writer.write(alerts.take(batch));
    }
    await writer.write(alerts.take());
    return { counts: alerts.counts, stored: await writer.finish() };
  } finally {
    await writer.settle();
  }
}

/**
 * The windows of a group that get at least one alert, as a DuckDB stream of their NUMBERS
 * then STRINGS; their keys are added to `consensus_keys` when they are a consensus.
 */
async function alertedWindows(
  connection: DuckDBConnection,
  group: WindowGroup,
  endMs: Float64Array,
  detections: GroupDetections,
  ctx: AlertContext,
) {
  const rows = alertedRows(detections.votes, endMs, ctx.minMethods, ctx.scoreAfter ?? -Infinity);
  const votes = rows.map((r) => detections.votes[r] ?? 0);
  await connection.run('CREATE OR REPLACE TABLE alerted (rid DOUBLE, votes DOUBLE)');
  await appendColumns(connection, 'alerted', [rows, votes]);
  await connection.run(`CREATE TABLE IF NOT EXISTS consensus_keys (user_id VARCHAR, merchant_id VARCHAR)`);
  await connection.run(`INSERT INTO consensus_keys SELECT w.user_id, w.merchant_id FROM alerted a
    JOIN ${group.table} w ON w.rowid = a.rid::BIGINT WHERE a.votes >= ${ctx.minMethods}`);
  const numbers = NUMBERS.map((c) => (c === 'rid' ? 'a.rid' : `CAST(w.${c} AS DOUBLE)`));
  const strings = STRINGS.map((c) => `w.${c}`);
  return connection.stream(`SELECT ${[...numbers, ...strings].join(', ')}
    FROM alerted a JOIN ${group.table} w ON w.rowid = a.rid::BIGINT`);
}

/** A chunk of {@link alertedWindows}: its numbers copied into `columns` (grown as needed, reused). */
function readChunk(chunk: DuckDBDataChunk, columns: Float64Array[]): ReadChunk {
  const n = chunk.rowCount;
  columns.forEach((column, j) => {
    if (column.length < n) columns[j] = new Float64Array(n);
    readNumbers(chunk.getColumnVector(j), n, columns[j] as Float64Array);
  });
  return { numbers: columns, strings: STRINGS.map((_, j) => chunk.getColumnVector(NUMBERS.length + j)) };
}

/**
 * Stores batches of alerts one at a time while the next batch is being built: the store
 * (SQLite's thread, or PostgreSQL) works while this thread reads and converts rows.
 */
export class AlertWriter {
  private pending: Promise<number> = Promise.resolve(0);
  private stored = 0;

  constructor(private readonly db: Kysely<Database>) {}

  /** Waits for the batch in flight (its error is thrown here), then sends `values` ({@link alertValues}). */
  async write(values: readonly AlertValue[]): Promise<void> {
    this.stored += await this.pending;
    this.pending = insertAlertValues(this.db, values);
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
