/**
 * Loads a run's transactions into DuckDB as the table `tx(tx_id, user_id, merchant_id,
 * ts, amount, label)`: from CSV or Parquet files (a path or a glob), or from the service's
 * stored transactions, read a page at a time. Rows never become JS objects all at once.
 */
import { statSync, type Stats } from 'node:fs';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Kysely } from 'kysely';
import { AppError } from '../errors.js';
import type { Database } from '../store/database.js';
import { MAX_AMOUNT } from '../transactions/transaction.js';
import { ident, literal } from './duckdb.js';
import { inputError, nulCharacterMarker } from './input-errors.js';
import { isParquet } from './table-files.js';
import { DEFAULT_COLUMNS, FIELDS, type Field } from './structuring.js';

/** Fields every input must have a column for. */
const REQUIRED: ReadonlySet<Field> = new Set(['user_id', 'timestamp', 'amount']);

/** Fields that are keys, compared as text: read as the file writes them ({@link readerOf}). */
const KEY_FIELDS: readonly Field[] = ['id', 'user_id', 'merchant_id'];

/**
 * `read_parquet(…)` or `read_csv(…)` over every file matching `input`. A CSV's `textColumns`
 * (each in some file of the input: DuckDB refuses a type for a column it cannot find) are
 * read as written: guessed as DOUBLE, 20-digit ids collapsed into one (`1e+19`), and `5` and
 * `5.0` were one id. Parquet columns keep the file's types.
 */
export function readerOf(input: string, textColumns: readonly string[] = []): string {
  if (isParquet(input)) return `read_parquet(${literal(input)}, union_by_name = true)`;
  const types = textColumns.map((column) => `${literal(column)}: 'VARCHAR'`).join(', ');
  const typed = types === '' ? '' : `, types = {${types}}`;
  return `read_csv(${literal(input)}, union_by_name = true, header = true, auto_detect = true${typed})`;
}

/** The files `input` (a path or a glob) matches, as DuckDB reads them. */
export async function filesMatching(connection: DuckDBConnection, input: string): Promise<string[]> {
  const reader = await connection.runAndReadAll(`SELECT file FROM glob(${literal(input)})`);
  return reader.getRows().map((row) => String(row[0]));
}

/**
 * Fails with INPUT_INVALID for a URL (`http://…`, `s3://…`: inputs are files on this machine)
 * and for a match that is not a regular file (a FIFO would block the run, and hold its slot,
 * until someone wrote to it), and with INPUT_NOT_FOUND when no file matches `input`.
 */
export async function checkInputExists(connection: DuckDBConnection, input: string): Promise<number> {
  if (URL_SCHEME.test(input)) {
    throw new AppError('INPUT_INVALID', `input must be a file path or glob on this machine, not a URL.`, {
      details: { input },
    });
  }
  const files = await filesMatching(connection, input);
  // DuckDB's glob lists no device (/dev/zero): one that exists is not a regular file either.
  if (files.length === 0 && statOf(input) === undefined) {
    throw new AppError('INPUT_NOT_FOUND', `No file matches '${input}'.`, { details: { input } });
  }
  const irregular = files.length === 0 ? input : files.find((file) => !isRegularFile(file));
  if (irregular !== undefined) {
    throw new AppError('INPUT_INVALID', `'${irregular}' is not a regular file.`, {
      details: { input, file: irregular },
    });
  }
  checkOneFormat(input, files);
  return files.length;
}

/**
 * Fails with INPUT_INVALID when `input` matches a file of the other format than the one it is
 * read as ({@link readerOf}: Parquet when the pattern ends in `.parquet` or `.pq`, CSV
 * otherwise): DuckDB's CSV reader would report a Parquet file as a CSV without a delimiter.
 */
function checkOneFormat(input: string, files: readonly string[]): void {
  if (isParquet(input)) return; // every match ends in .parquet or .pq
  const parquet = files.filter(isParquet);
  if (parquet.length === 0) return;
  const shown = parquet.slice(0, 3).join(', ') + (parquet.length > 3 ? ', …' : '');
  const message =
    `'${input}' matches Parquet files (${shown}) but is read as CSV: a run reads one format, ` +
    `chosen by the pattern's ending; end it with .parquet for Parquet files, or .csv for CSV files.`;
  throw new AppError('INPUT_INVALID', message, { details: { input, files: parquet } });
}

/** A scheme such as `http://`, `s3://`, `hf://` (a Windows drive letter has one letter). */
const URL_SCHEME = /^[a-z][a-z0-9+.-]+:\/\//i;

/** What is at `path`, or undefined when nothing is (or it cannot be read). */
function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function isRegularFile(path: string): boolean {
  return statOf(path)?.isFile() ?? false;
}

/** Column names and DuckDB types of the input. */
async function describeInput(connection: DuckDBConnection, input: string): Promise<Map<string, string>> {
  const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${readerOf(input)}`);
  return new Map(reader.getRows().map((row) => [String(row[0]), String(row[1])]));
}

/** DuckDB number types (not lists of them: `BIGINT[]`). */
const NUMERIC = /^(U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)|FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/i;

/** SQL turning the timestamp column into a TIMESTAMP: text, dates, or epoch seconds / ms. */
function timestampSql(column: string, type: string): string {
  if (NUMERIC.test(type)) {
    // As DOUBLE before multiplying: INT32 epoch seconds overflowed INT32 arithmetic.
    return `CASE WHEN ${column} > 1e11 THEN epoch_ms(${column}::BIGINT) ELSE epoch_ms((${column}::DOUBLE * 1000)::BIGINT) END`;
  }
  // Text goes through TIMESTAMPTZ so that an offset in it (`…T10:00:00-05:00`) is applied; a
  // plain cast dropped it. The engine's time zone is UTC (see openEngine), so text without
  // an offset, and TIMESTAMPTZ columns, are read as UTC whatever the host's time zone.
  if (/^VARCHAR$/i.test(type)) return `CAST(CAST(${column} AS TIMESTAMPTZ) AS TIMESTAMP)`;
  return `CAST(${column} AS TIMESTAMP)`;
}

/** Input column types each cast field can be read from, and what it must be, in words. */
const READABLE: Partial<Record<Field, { readonly type: RegExp; readonly must: string }>> = {
  timestamp: {
    type: new RegExp(`${NUMERIC.source}|^(DATE|TIMESTAMP[\\w ]*|VARCHAR)$`, 'i'),
    // A column is read one way: text mixing ISO times and epoch numbers fails on the numbers.
    must: 'a timestamp (ISO text or dates, or else epoch seconds or ms, one kind in the whole column)',
  },
  amount: { type: new RegExp(`${NUMERIC.source}|^VARCHAR$`, 'i'), must: 'a number' },
  label: { type: new RegExp(`${NUMERIC.source}|^(VARCHAR|BOOLEAN)$`, 'i'), must: 'an integer (0 or 1)' },
};

/**
 * Required columns absent from the input, optional ones absent that `--map` named (a mapped
 * merchant column that was not there dropped the user+merchant windows without a word), and
 * columns of a type their field cannot be read from.
 */
function columnProblems(types: ReadonlyMap<string, string>, columns: Readonly<Record<Field, string>>) {
  const problems: { field: Field; code: string; message: string }[] = [];
  const mapped = (field: Field) => columns[field] !== DEFAULT_COLUMNS[field];
  for (const field of FIELDS.filter((f) => REQUIRED.has(f) || mapped(f))) {
    if (types.has(columns[field])) continue;
    const message = `column '${columns[field]}' for ${field} is not in the input (use --map column=${field})`;
    problems.push({ field, code: 'missing_column', message });
  }
  for (const [field, readable] of Object.entries(READABLE) as [Field, { type: RegExp; must: string }][]) {
    const type = types.get(columns[field]);
    if (type === undefined || readable.type.test(type)) continue;
    // The CSV reader names the type it guessed from the values: 'inf' reads as a DATE.
    const message = `column ${columns[field]} (${field}) must hold ${readable.must} in every row; its values read as ${type}`;
    problems.push({ field, code: 'wrong_type', message });
  }
  return problems;
}

/**
 * A CSV input whose one column's name holds a delimiter: DuckDB's sniffer found no delimiter
 * that gives every sampled row the header's fields (a short or long row near the top).
 */
function readAsOneColumn(input: string, types: ReadonlyMap<string, string>): boolean {
  const [only] = types.keys();
  return !isParquet(input) && types.size === 1 && only !== undefined && /[,;|\t]/.test(only);
}

/** Fails with INPUT_INVALID listing every {@link columnProblems} of the input. */
function checkColumns(
  input: string,
  types: ReadonlyMap<string, string>,
  columns: Readonly<Record<Field, string>>,
): void {
  const problems = columnProblems(types, columns);
  if (problems.length === 0) return;
  if (readAsOneColumn(input, types)) {
    const message =
      `The input '${input}' was read as one column: its delimiter could not be detected. ` +
      'A row near the top may have more or fewer fields than the header; every row needs one field per header column.';
    throw new AppError('INPUT_INVALID', message, {
      details: [{ field: 'input', code: 'delimiter_not_detected', message }, ...problems],
    });
  }
  const missing = problems.filter((p) => p.code === 'missing_column').map((p) => columns[p.field]);
  const lacks = missing.length > 0 ? [`The input '${input}' lacks columns: ${missing.join(', ')}.`] : [];
  const typed = problems.filter((p) => p.code === 'wrong_type').map((p) => `The ${p.message}.`);
  throw new AppError('INPUT_INVALID', [...lacks, ...typed].join(' '), { details: problems });
}

/**
 * Runs `read`, turning a DuckDB failure to read `input` into INPUT_INVALID ({@link inputError});
 * `columns` (once known) name what each cast column must be.
 */
async function reading<T>(
  input: string,
  read: () => Promise<T>,
  columns?: Readonly<Record<Field, string>>,
): Promise<T> {
  try {
    return await read();
  } catch (error) {
    throw inputError(error, input, {
      parquet: isParquet(input),
      musts: columns && mustsOf(columns),
      columns,
    });
  }
}

/** Input column name → what its values must be ({@link READABLE}). */
function mustsOf(columns: Readonly<Record<Field, string>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(READABLE).map(([field, readable]) => [columns[field as Field], readable.must]),
  );
}

/**
 * Checks that `input` matches files and that DuckDB can open them; answers their columns.
 * Fails with INPUT_NOT_FOUND, or INPUT_INVALID saying what is wrong (never quoting the file).
 */
export async function inspectInput(
  connection: DuckDBConnection,
  input: string,
): Promise<Map<string, string>> {
  await checkInputExists(connection, input);
  return reading(input, () => describeInput(connection, input));
}

/**
 * {@link inspectInput}, then checks `columns` against the input's (INPUT_INVALID naming the
 * missing ones and those of a wrong type); answers the columns' types.
 */
export async function inspectColumns(
  connection: DuckDBConnection,
  input: string,
  columns: Readonly<Record<Field, string>>,
): Promise<Map<string, string>> {
  const types = await inspectInput(connection, input);
  checkColumns(input, types, columns);
  return types;
}

/**
 * `tx` is a temporary table: DuckDB keeps it in memory (spilling to the run's temp directory
 * past its memory limit) instead of writing and checkpointing it to the scratch file, and
 * the run drops it once the windows are built. On 10M rows, loading and building both window
 * tables took 43–48 s instead of 49–54 s (alternating runs; the checkpoint's cost fell in the
 * load or in the window builds from run to run).
 */
const CREATE_TX = 'CREATE OR REPLACE TEMP TABLE tx AS SELECT';

/** The id of a row without one (no id column, or an empty cell): its number in the input. */
const ROW_ID = 'CAST(row_number() OVER () AS VARCHAR)';
/**
 * The id of a row whose id cell is empty in an input that has ids: `#` and its number, which
 * no numeric id of another row can equal (`5` could, and was then refused as a repeat).
 */
const EMPTY_CELL_ID = `'#' || ${ROW_ID}`;

/**
 * Creates `tx` from files. `columns` names the input column of each field; a missing
 * required column is an INPUT_INVALID error naming it; the label column is optional. A file
 * DuckDB cannot read, or a value it cannot cast, is INPUT_INVALID ({@link inputError}).
 */
export async function loadFiles(
  connection: DuckDBConnection,
  input: string,
  columns: Readonly<Record<Field, string>>,
): Promise<void> {
  const types = await inspectColumns(connection, input, columns);
  const col = (f: Field, cast: string, fallback = 'NULL') =>
    types.has(columns[f]) ? `CAST(${ident(columns[f])} AS ${cast})` : fallback;
  // Text even when absent: a bare NULL made an INTEGER column (no merchant column), which
  // text functions on it then refused.
  const text = (f: Field, fallback = 'CAST(NULL AS VARCHAR)') =>
    types.has(columns[f]) ? withoutNul(col(f, 'VARCHAR'), f) : fallback;
  const load = `${CREATE_TX}
      ${types.has(columns.id) ? `coalesce(nullif(${text('id')}, ''), ${EMPTY_CELL_ID})` : ROW_ID} AS tx_id,
      ${text('user_id')} AS user_id,
      ${text('merchant_id')} AS merchant_id,
      ${timestampSql(ident(columns.timestamp), types.get(columns.timestamp) ?? '')} AS ts,
      ${col('amount', 'DOUBLE')} AS amount,
      ${labelSql(types.has(columns.label) ? ident(columns.label) : undefined)} AS label
    FROM ${readerOf(input, keyColumns(types, columns))}`;
  await reading(input, () => connection.run(load), columns);
  await refuseIncompleteRows(connection, input, columns);
  if (types.has(columns.id)) await refuseRepeatedIds(connection, input, columns.id);
}

/**
 * The input's columns of the {@link KEY_FIELDS}, each once: one column may be mapped to two
 * fields, and DuckDB refuses a type given twice (names compared without case).
 */
function keyColumns(types: ReadonlyMap<string, string>, columns: Readonly<Record<Field, string>>): string[] {
  const present = KEY_FIELDS.map((field) => columns[field]).filter((column) => types.has(column));
  return present.filter(
    (column, i) => present.findIndex((other) => other.toLowerCase() === column.toLowerCase()) === i,
  );
}

/**
 * A label as 0 or 1, NULL when empty, and -1 for any other value ({@link refuseIncompleteRows}
 * refuses it): a cast to INTEGER first rounded 0.6 to 1.
 */
function labelSql(column: string | undefined): string {
  if (column === undefined) return 'CAST(NULL AS INTEGER)';
  const value = `CAST(${column} AS DOUBLE)`;
  return `CASE WHEN ${column} IS NULL THEN NULL WHEN ${value} = 0 THEN 0 WHEN ${value} = 1 THEN 1 ELSE -1 END`;
}

/**
 * Refuses ids that appear on more than one row: a row exported twice counted twice in every
 * window that holds it (a payment split in two that never was), and its windows' alerts
 * shared one key, so all but one were dropped.
 */
async function refuseRepeatedIds(connection: DuckDBConnection, input: string, column: string): Promise<void> {
  const [ids, rows] = (
    await connection.runAndReadAll(`SELECT count(*), coalesce(sum(n), 0) FROM (
      SELECT count(*) AS n FROM tx GROUP BY tx_id HAVING count(*) > 1)`)
  ).getRows()[0] ?? [0, 0];
  if (Number(ids) === 0) return;
  throw new AppError(
    'INPUT_INVALID',
    `The input '${input}' repeats ids: ${Number(ids)} ${Number(ids) === 1 ? 'id is' : 'ids are'} on ${Number(rows)} rows in column '${column}'. Each row needs an id of its own: leave out rows exported twice, and give files of a glob whose ids overlap ids that do not.`,
    {
      details: {
        file: input,
        problems: [{ field: 'id', column, problem: 'a repeated id', ids: Number(ids), rows: Number(rows) }],
      },
    },
  );
}

/**
 * Refuses rows without a user, time or amount, times and amounts that are not finite (NaN,
 * ±infinity), amounts beyond ±{@link MAX_AMOUNT}, and labels other than 0 and 1 (an empty
 * label is an unlabelled row):
 * such rows were left out without a word (every row of a file in a glob whose amount column
 * had another name), and a NaN amount failed the run with DuckDB's own error. The counts go
 * in the message; values from the file never do.
 */
async function refuseIncompleteRows(
  connection: DuckDBConnection,
  input: string,
  columns: Readonly<Record<Field, string>>,
): Promise<void> {
  const checks = [
    { field: 'user_id', problem: 'no value', where: 'user_id IS NULL' },
    { field: 'timestamp', problem: 'no value', where: 'ts IS NULL' },
    // ±infinity reads as a timestamp, but its windows have no bounds: scored, never alerted.
    { field: 'timestamp', problem: 'a time that is not finite (infinity)', where: 'NOT isfinite(ts)' },
    { field: 'amount', problem: 'no value', where: 'amount IS NULL' },
    { field: 'amount', problem: 'a value that is not a finite number', where: 'NOT isfinite(amount)' },
    // The transactions API's own cap: a window's sample std of amounts past about 1.3e154
    // overflowed in DuckDB (an INTERNAL error), and amounts far above the others left z-score
    // nothing to flag.
    {
      field: 'amount',
      problem: `an amount beyond ±${MAX_AMOUNT.toExponential()} (the largest the transactions API takes)`,
      where: `isfinite(amount) AND abs(amount) > ${MAX_AMOUNT}`,
    },
    // Precision and recall count 1 as structuring and 0 as not: a 2 or a -1 was counted as neither.
    { field: 'label', problem: 'a label other than 0 or 1', where: 'label NOT IN (0, 1)' },
  ] as const;
  const counts = (
    await connection.runAndReadAll(
      `SELECT ${checks.map((c) => `count(*) FILTER (WHERE ${c.where})`).join(', ')} FROM tx`,
    )
  ).getRows()[0];
  const problems = checks
    .map((check, i) => ({ ...check, rows: Number(counts?.[i] ?? 0) }))
    .filter((p) => p.rows > 0);
  if (problems.length === 0) return;
  const said = problems.map(
    (p) => `${p.rows} ${p.rows === 1 ? 'row has' : 'rows have'} ${p.problem} in column '${columns[p.field]}'`,
  );
  throw new AppError(
    'INPUT_INVALID',
    `The input '${input}' has rows it cannot use: ${said.join('; ')}. Correct them or leave those rows out (a file of a glob whose column has another name has no value in it).`,
    {
      details: {
        file: input,
        problems: problems.map(({ field, problem, rows }) => ({
          field,
          column: columns[field],
          problem,
          rows,
        })),
      },
    },
  );
}

/**
 * A text column's values, failing the load on a NUL character (U+0000): DuckDB reads one, but
 * PostgreSQL cannot store it (a run's alerts failed there with its own error) and SQLite's
 * text functions stop at it, so its column is named in an INPUT_INVALID error instead
 * ({@link nulCharacterMarker}). Lone surrogates cannot arrive: DuckDB refuses text that is not
 * UTF-8.
 */
function withoutNul(expression: string, field: Field): string {
  const failure = `error(${literal(nulCharacterMarker(field))})`;
  return `CASE WHEN contains(${expression}, chr(0)) THEN ${failure} ELSE ${expression} END`;
}

/** Event-time bounds (ms, inclusive) of stored transactions to load, and the last arrival to load. */
export interface StoredRange {
  readonly from?: number;
  readonly to?: number;
  /** Only transactions with `seq` up to this one. */
  readonly toSeq?: number;
}

const PAGE = 10_000;

/**
 * Creates `tx` from the service's decided and pending transactions in `range` (account_id is
 * the user), appended a page of {@link PAGE} rows at a time.
 */
export async function loadStored(
  connection: DuckDBConnection,
  db: Kysely<Database>,
  range: StoredRange,
): Promise<number> {
  await connection.run(
    `CREATE OR REPLACE TABLE tx_raw (tx_id VARCHAR, user_id VARCHAR, merchant_id VARCHAR, event_ms DOUBLE, amount DOUBLE)`,
  );
  const appender = await connection.createAppender('tx_raw');
  let after = -1;
  let total = 0;
  for (;;) {
    let query = db
      .selectFrom('transactions')
      .select(['seq', 'transaction_id', 'account_id', 'merchant_id', 'event_time', 'amount'])
      .where('seq', '>', after);
    if (range.from !== undefined) query = query.where('event_time', '>=', range.from);
    if (range.to !== undefined) query = query.where('event_time', '<=', range.to);
    if (range.toSeq !== undefined) query = query.where('seq', '<=', range.toSeq);
    const page = await query.orderBy('seq').limit(PAGE).execute();
    for (const row of page) {
      appender.appendVarchar(row.transaction_id);
      appender.appendVarchar(row.account_id);
      if (row.merchant_id === null) appender.appendNull();
      else appender.appendVarchar(row.merchant_id);
      appender.appendDouble(Number(row.event_time));
      appender.appendDouble(row.amount);
      appender.endRow();
    }
    total += page.length;
    if (page.length < PAGE) break;
    after = Number(page[page.length - 1]?.seq);
  }
  appender.closeSync();
  await connection.run(`${CREATE_TX} tx_id, user_id, merchant_id,
      epoch_ms(event_ms::BIGINT) AS ts, amount, CAST(NULL AS INTEGER) AS label FROM tx_raw`);
  await connection.run('DROP TABLE tx_raw');
  return total;
}
