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

/** A DuckDB with one connection; `close()` frees both (and deletes a scratch file). */
export interface Engine {
  readonly connection: DuckDBConnection;
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
  const config: Record<string, string> = { temp_directory: join(dir ?? tmpdir(), 'spill') };
  if (options.threads) config.threads = String(options.threads);
  if (options.memoryLimit) config.memory_limit = options.memoryLimit;
  const instance = await DuckDBInstance.create(dir ? join(dir, 'run.duckdb') : ':memory:', config);
  const connection = await instance.connect();
  const ownLimit = options.memoryLimit
    ? `SET memory_limit = ${literal(options.memoryLimit)}`
    : 'RESET memory_limit';
  return {
    connection,
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
 * Reads a DOUBLE vector straight from its Float64Array and validity words (the library's
 * `getItem` tests validity with BigInt arithmetic per value). False when it cannot.
 */
function copyDoubles(
  vector: DuckDBVector,
  rowCount: number,
  target: (i: number, v: number) => void,
): boolean {
  const parts = doublesOf(vector);
  if (!parts) return false;
  const { items, words } = parts;
  for (let i = 0; i < rowCount; i++) {
    const valid = words === null || (((words[i >>> 5] ?? 0) >>> (i & 31)) & 1) === 1;
    target(i, valid ? (items[i] ?? NaN) : NaN);
  }
  return true;
}

/** Reads a numeric vector value by value (NULL → NaN), converting BIGINT and others. */
function copyVector(vector: DuckDBVector, rowCount: number, target: (i: number, v: number) => void): void {
  if (copyDoubles(vector, rowCount, target)) return;
  for (let i = 0; i < rowCount; i++) {
    const v = vector.getItem(i);
    target(i, v === null ? NaN : typeof v === 'number' ? v : Number(v));
  }
}

/**
 * Streams a query whose first column is the destination row (0-based, BIGINT) and whose
 * other columns are numbers, calling `sink(row, j, value)` for every value (NULL → NaN).
 * Nothing is materialised as JS objects: chunks of 2,048 rows are read as typed arrays.
 */
export async function streamNumbers(
  connection: DuckDBConnection,
  sql: string,
  sink: (row: number, j: number, value: number) => void,
): Promise<number> {
  const result = await connection.stream(sql);
  let rows = 0;
  for (
    let chunk = await result.fetchChunk();
    chunk && chunk.rowCount > 0;
    chunk = await result.fetchChunk()
  ) {
    const rowCount = chunk.rowCount;
    const ids = new Float64Array(rowCount);
    copyVector(chunk.getColumnVector(0), rowCount, (i, v) => (ids[i] = v));
    for (let j = 1; j < chunk.columnCount; j++) {
      copyVector(chunk.getColumnVector(j), rowCount, (i, v) => sink(ids[i] ?? 0, j - 1, v));
    }
    rows += rowCount;
  }
  return rows;
}

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
