/** Small helpers over `@duckdb/node-api`: an engine (in memory or on a scratch file), quoting, typed-array reads. */
import { mkdtempSync, rmSync } from 'node:fs';
import { endianness, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DOUBLE,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBConnection,
  type DuckDBVector,
} from '@duckdb/node-api';

/**
 * A DuckDB with one connection; `close()` frees both (and deletes a scratch file). Extra
 * connections from `connect()` are closed by their callers, before `close()`.
 */
export interface Engine {
  readonly connection: DuckDBConnection;
  /** Another connection to the same database (its caller closes it); for reads in parallel. */
  connect(): Promise<DuckDBConnection>;
  /**
   * Runs `work` with DuckDB's memory limit lowered to `limit`, then sets the engine's own
   * limit back. On a scratch-file engine, lowering it moves cached pages to the file. If
   * DuckDB cannot free enough (pages in use), `work` runs at the engine's own limit.
   */
  withMemoryLimit<T>(limit: string, work: () => Promise<T>): Promise<T>;
  close(): void;
}

export interface EngineOptions {
  /** Threads DuckDB uses. Default: all cores. */
  readonly threads?: number;
  /**
   * Keep tables in a scratch file in the OS temp folder, so DuckDB can evict them and stay
   * under `memoryLimit` on large inputs. Default false (in memory).
   */
  readonly scratchFile?: boolean;
  /** DuckDB `memory_limit`, e.g. `2GB`. Default DuckDB's (80% of RAM). */
  readonly memoryLimit?: string;
}

/** Opens a DuckDB: in memory, or on a scratch file (spilling to the OS temp folder). */
export async function openEngine(options: EngineOptions = {}): Promise<Engine> {
  const dir = options.scratchFile ? mkdtempSync(join(tmpdir(), 'centinela-duckdb-')) : undefined;
  const config: Record<string, string> = {
    temp_directory: join(dir ?? tmpdir(), 'spill'),
    // Never download an extension (an `http://…` path made DuckDB try to fetch httpfs).
    autoinstall_known_extensions: 'false',
  };
  if (options.threads) config.threads = String(options.threads);
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  const instance = await DuckDBInstance.create(dir ? join(dir, 'run.duckdb') : ':memory:', config);
  const connection = await instance.connect();
  // Timestamps with an offset are converted to the session's time zone, which is the host's
  // by default: the same file gave other windows on another machine.
  await connection.run(`SET GLOBAL TimeZone = 'UTC'`);
  const ownLimit = options.memoryLimit
    ? `SET memory_limit = ${literal(options.memoryLimit)}`
    : 'RESET memory_limit';
  return {
    connection,
    connect: () => instance.connect(),
    withMemoryLimit: async (limit, work) => {
      await connection.run(`SET memory_limit = ${literal(limit)}`).catch(() => undefined);
      try {
        return await work();
      } finally {
        await connection.run(ownLimit);
      }
    },
    close: () => {
      connection.closeSync();
      instance.closeSync();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A SQL string literal. */
export function literal(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier. */
export function ident(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** One value of the first row of a query, as a number. */
export async function queryNumber(connection: DuckDBConnection, sql: string): Promise<number> {
  const reader = await connection.runAndReadAll(sql);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

/** What a DOUBLE vector holds: its values and a validity bitmask (null = every row valid). */
interface DoubleVectorParts {
  readonly items?: unknown;
  readonly validity?: { readonly data?: unknown; readonly offset?: number };
}

const LITTLE_ENDIAN = endianness() === 'LE';

/**
 * A DOUBLE vector's values and validity as 32-bit words (null: every row valid), or null
 * when the vector is not one this can read directly (other types, a sliced validity, a
 * big-endian machine).
 */
function doublesOf(vector: DuckDBVector): { items: Float64Array; words: Uint32Array | null } | null {
  const { items, validity } = vector as unknown as DoubleVectorParts;
  if (!(items instanceof Float64Array) || !LITTLE_ENDIAN || (validity?.offset ?? 0) !== 0) return null;
  const bits = validity?.data ?? null;
  if (bits === null) return { items, words: null };
  if (!(bits instanceof BigUint64Array)) return null;
  // Bit i of the 64-bit words is bit (i mod 32) of 32-bit word i / 32 on a little-endian machine.
  return { items, words: new Uint32Array(bits.buffer, bits.byteOffset, bits.length * 2) };
}

/**
 * Copies a numeric vector's values into `out` (NULL → NaN). A DOUBLE vector is read straight
 * from its Float64Array and validity words (the library's `getItem` tests validity with
 * BigInt arithmetic per value); other types value by value, converting BIGINT and others.
 */
export function readNumbers(vector: DuckDBVector, rowCount: number, out: Float64Array): void {
  const parts = doublesOf(vector);
  if (!parts) {
    for (let i = 0; i < rowCount; i++) {
      const v = vector.getItem(i);
      out[i] = v === null ? NaN : typeof v === 'number' ? v : Number(v);
    }
    return;
  }
  const { items, words } = parts;
  if (words === null) {
    out.set(items.subarray(0, rowCount));
    return;
  }
  for (let i = 0; i < rowCount; i++) {
    out[i] = (((words[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1 ? (items[i] ?? NaN) : NaN;
  }
}

/**
 * Receives column `j` of a chunk: `values[i]` belongs in row `rows[i]`, for i < count. Both
 * arrays are reused for the next chunk: copy what is needed during the call.
 */
export type ColumnSink = (rows: Float64Array, j: number, values: Float64Array, count: number) => void;

/**
 * Streams a query whose first column is the destination row (0-based, BIGINT) and whose
 * other columns are numbers, calling `sink(rows, j, values, count)` for column j of each
 * chunk: `values[i]` (NULL → NaN) belongs in row `rows[i]`, for i < count.
 * Nothing is materialised as JS objects: chunks of 2,048 rows are read as typed arrays.
 */
export async function streamNumbers(
  connection: DuckDBConnection,
  sql: string,
  sink: ColumnSink,
): Promise<number> {
  const result = await connection.stream(sql);
  let ids = new Float64Array(CHUNK_ROWS);
  let values = new Float64Array(CHUNK_ROWS);
  let rows = 0;
  for (
    let chunk = await result.fetchChunk();
    chunk && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    const rowCount = chunk.rowCount;
    if (rowCount > ids.length) [ids, values] = [new Float64Array(rowCount), new Float64Array(rowCount)];
    readNumbers(chunk.getColumnVector(0), rowCount, ids);
    for (let j = 1; j < chunk.columnCount; j++) {
      readNumbers(chunk.getColumnVector(j), rowCount, values);
      sink(ids, j - 1, values, rowCount);
    }
    rows += rowCount;
  }
  return rows;
}

/**
 * Streams the numbers of `table` ({@link streamNumbers}: `columns` are SQL expressions, the
 * destination row is the table's rowid) over up to `parts` connections at once, each reading a
 * range of rowids. One stream fetches a chunk at a time and waits for each, so most of its
 * time is the round trip: a 10M-row table of 10 DOUBLE columns took 2.7–3.1 s on one
 * stream, 1.8–2.0 s on two and 1.35 s on four (2 cores, a slow day); reading the features of
 * both 24 h window tables of a 10M-row ledger (19.8M windows) took 18.1 s on one stream and
 * 11.0–12.1 s on four (eight: 11.6 s). Rows must have rowids 0 … n − 1.
 */
export async function streamTable(
  engine: Pick<Engine, 'connect'>,
  table: string,
  columns: string,
  n: number,
  sink: ColumnSink,
  parts = PARALLEL_READS,
): Promise<number> {
  const size = Math.max(MIN_PART_ROWS, Math.ceil(n / parts));
  const ranges = [];
  for (let from = 0; from < n; from += size) ranges.push([from, Math.min(n, from + size)] as const);
  // Settled, not Promise.all: after a failure the caller may close the engine, which must not
  // happen while other streams are still reading (and spilling to its scratch folder).
  const results = await Promise.allSettled(
    ranges.map(async ([from, to]) => {
      const connection = await engine.connect();
      try {
        const sql = `SELECT CAST(rowid AS DOUBLE), ${columns} FROM ${table} WHERE rowid >= ${from} AND rowid < ${to}`;
        return await streamNumbers(connection, sql, sink);
      } finally {
        connection.closeSync();
      }
    }),
  );
  let rows = 0;
  for (const result of results) {
    if (result.status === 'rejected') throw result.reason;
    rows += result.value;
  }
  return rows;
}

/** Streams {@link streamTable} reads at once. */
const PARALLEL_READS = 4;
/** Below this many rows per stream, fewer streams (each has a fixed start-up cost). */
const MIN_PART_ROWS = 65_536;

/**
 * Appends numeric columns (equal lengths) as DOUBLE rows to `table`, 2,048 rows per data
 * chunk: values are written into the chunk's vectors, not appended one native call at a time.
 */
export async function appendColumns(
  connection: DuckDBConnection,
  table: string,
  columns: readonly ArrayLike<number>[],
): Promise<void> {
  const n = columns[0]?.length ?? 0;
  const types = columns.map(() => DOUBLE);
  const appender = await connection.createAppender(table);
  for (let start = 0; start < n; start += CHUNK_ROWS) {
    const size = Math.min(CHUNK_ROWS, n - start);
    const chunk = DuckDBDataChunk.create(types, size);
    columns.forEach((values, j) => {
      const vector = chunk.getColumnVector(j);
      const items = (vector as unknown as { items?: unknown }).items;
      if (items instanceof Float64Array) {
        // A fresh chunk's rows are all valid: writing the values is enough.
        for (let i = 0; i < size; i++) items[i] = values[start + i] ?? NaN;
      } else {
        for (let i = 0; i < size; i++) vector.setItem(i, values[start + i] ?? null);
      }
      vector.flush();
    });
    appender.appendDataChunk(chunk);
  }
  appender.closeSync();
}

const CHUNK_ROWS = 2048;
