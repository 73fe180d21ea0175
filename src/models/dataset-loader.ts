/**
 * Labelled training and evaluation data from CSV or Parquet files, read with DuckDB:
 * paths or globs, column renames (`--map amt=amount`) and a label column (`--label`).
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import { AppError } from '../errors.js';
import { columnPairs, QUOTING_HINT } from '../shared/column-pairs.js';
import { ident, openEngine } from '../structuring/duckdb.js';
import { inputError } from '../structuring/input-errors.js';
import { checkInputExists, readerOf } from '../structuring/source.js';
import { isParquet } from '../structuring/table-files.js';
import type { DataRecord } from './dataset.js';

/** The label column when none is named. */
export const DEFAULT_LABEL = 'is_fraud';

/** Options of {@link loadDataset}. */
export interface DatasetLoadOptions {
  /** Paths or globs; `.parquet`/`.pq` files are read as Parquet, anything else as CSV. */
  readonly inputs: readonly string[];
  /** Renames, input column → field (e.g. `{ amt: 'amount' }`). Default none. */
  readonly map?: Readonly<Record<string, string>>;
  /** Label column, by its input or its mapped name. Default {@link DEFAULT_LABEL}. */
  readonly label?: string;
  /** Columns not read, by their input or mapped names (`--exclude`). Default none. */
  readonly exclude?: readonly string[];
}

/** Records read by {@link loadDataset}. */
export interface LoadedDataset {
  /** Rows by field name: numbers (and booleans as 0/1) as numbers, the rest as strings, null when missing. */
  readonly records: DataRecord[];
  /** The label's field name in `records` (after renames). */
  readonly labelField: string;
  /** Field names of the records, in input order (time, nested and binary columns left out). */
  readonly fields: readonly string[];
}

const NUMERIC_TYPE =
  /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|FLOAT|DOUBLE|DECIMAL.*|BOOLEAN)$/;

/**
 * Reads every file matching `inputs` into records (rows of all files, matched by column
 * name). Fails with INPUT_NOT_FOUND when an input matches no file and with INPUT_INVALID
 * when a renamed column or the label column is not in the data.
 *
 * @example await loadDataset({ inputs: ['history/*.parquet'], map: { amt: 'amount' }, label: 'fraud' })
 */
export async function loadDataset(options: DatasetLoadOptions): Promise<LoadedDataset> {
  if (options.inputs.length === 0) throw new AppError('INPUT_INVALID', 'No data file given.');
  const engine = await openEngine();
  const connection = engine.connection;
  try {
    for (const input of options.inputs) await checkInputExists(connection, input);
    const source = `(${options.inputs.map((input) => `SELECT * FROM ${readerOf(input)}`).join(' UNION ALL BY NAME ')})`;
    const columns = await describe(connection, source, options.inputs);
    const map = options.map ?? {};
    checkMapped(map, columns);
    const fields = columns.map(([name]) => map[name] ?? name);
    const labelField = map[options.label ?? DEFAULT_LABEL] ?? options.label ?? DEFAULT_LABEL;
    if (!fields.includes(labelField)) throw missingLabel(labelField, fields);
    const excluded = excludedColumns(options.exclude ?? [], columns, fields, labelField);
    const read = columns
      .map(([name, type], i) => ({ name, type, field: fields[i] as string }))
      .filter(({ name }) => !excluded.has(name))
      .filter(({ type, field }) => field === labelField || !NOT_INPUT_TYPE.test(type));
    const select = read.map(({ name, type, field }) => `${castSql(name, type)} AS ${ident(field)}`);
    const records = await readRows(connection, `SELECT ${select.join(', ')} FROM ${source}`, options.inputs);
    // Metrics of no rows are 0/0 (printed as NaN %), and a model cannot be fitted to none.
    if (records.length === 0) throw new AppError('INPUT_INVALID', 'The data holds no rows.');
    // Only the fields read: a model whose input was a column left out is refused by evaluate.
    return { records, labelField, fields: read.map(({ field }) => field) };
  } finally {
    engine.close();
  }
}

/** Runs the read; a file DuckDB cannot decode (corrupt, truncated) is INPUT_INVALID, not a crash. */
async function readRows(
  connection: DuckDBConnection,
  query: string,
  inputs: readonly string[],
): Promise<DataRecord[]> {
  try {
    return (await connection.runAndReadAll(query)).getRowObjects() as DataRecord[];
  } catch (error) {
    throw unreadable(error, inputs);
  }
}

/**
 * INPUT_INVALID saying what is wrong with the data, as structuring runs say it (never quoting
 * the file, nor the SQL that read it, which DuckDB's own message shows).
 */
function unreadable(error: unknown, inputs: readonly string[]): AppError {
  return inputError(error, inputs.join(', '), { parquet: inputs.some(isParquet) });
}

/**
 * Parses `column=field` pairs (the `--map` flag) into renames.
 *
 * @example parseMappings(['amt=amount,fraud=is_fraud']) // { amt: 'amount', fraud: 'is_fraud' }
 */
export function parseMappings(flags: readonly string[]): Record<string, string> {
  const { pairs, malformed } = columnPairs(flags);
  if (malformed.length > 0)
    throw new AppError(
      'INPUT_INVALID',
      `--map expects column=field, not '${malformed[0]}' (${QUOTING_HINT}).`,
    );
  return Object.fromEntries(pairs.map(({ column, field }) => [column, field]));
}

/** Column names and DuckDB types of the source. */
async function describe(
  connection: DuckDBConnection,
  source: string,
  inputs: readonly string[],
): Promise<[string, string][]> {
  try {
    const reader = await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`);
    return reader.getRows().map((row) => [String(row[0]), String(row[1])]);
  } catch (error) {
    throw unreadable(error, inputs);
  }
}

function checkMapped(map: Readonly<Record<string, string>>, columns: readonly [string, string][]): void {
  const names = new Set(columns.map(([name]) => name));
  const unknown = Object.keys(map).filter((column) => !names.has(column));
  if (unknown.length > 0) {
    throw new AppError(
      'INPUT_INVALID',
      `--map names columns that are not in the data: ${unknown.join(', ')}.`,
      {
        details: { unknown, columns: [...names] },
      },
    );
  }
}

/**
 * The input names of the columns `exclude` names (each by its input or mapped name); every one
 * must be in the data, and the label cannot be left out.
 */
function excludedColumns(
  exclude: readonly string[],
  columns: readonly [string, string][],
  fields: readonly string[],
  labelField: string,
): Set<string> {
  const inputNameOf = (name: string) =>
    columns[fields.indexOf(name)]?.[0] ?? columns.find(([c]) => c === name)?.[0];
  const unknown = exclude.filter((name) => inputNameOf(name) === undefined);
  if (unknown.length > 0)
    throw new AppError(
      'INPUT_INVALID',
      `--exclude names columns that are not in the data: ${unknown.join(', ')}.`,
      {
        details: { unknown, columns: columns.map(([name]) => name) },
      },
    );
  const excluded = new Set(exclude.map((name) => inputNameOf(name) as string));
  if (excluded.has(inputNameOf(labelField) as string))
    throw new AppError(
      'INPUT_INVALID',
      `--exclude names the label column '${labelField}', which training and evaluation need.`,
      {
        details: { label: labelField },
      },
    );
  return excluded;
}

function missingLabel(labelField: string, fields: readonly string[]): AppError {
  // DuckDB names the columns of a CSV without a header row (or of an empty file) column0, column1…
  const hint = fields.every((field) => /^column\d+$/.test(field))
    ? 'the data is empty or has no header row'
    : `name it with --label COLUMN or --map column=${labelField}`;
  return new AppError('INPUT_INVALID', `The data has no label column '${labelField}' (${hint}).`, {
    details: { label: labelField, columns: fields },
  });
}

/**
 * DuckDB types never read as model inputs: times (a TIMESTAMP column of few values became a
 * category) and nested or binary values.
 */
const NOT_INPUT_TYPE = /^(TIMESTAMP|DATE|TIME|INTERVAL|STRUCT|MAP|UNION|BLOB)|\[\d*\]$/i;

/** Numbers (and booleans) as DOUBLE, everything else as text, so rows hold plain JS values. */
function castSql(name: string, type: string): string {
  return `CAST(${ident(name)} AS ${NUMERIC_TYPE.test(type) ? 'DOUBLE' : 'VARCHAR'})`;
}
