import type { DataRecord, FieldValue } from './dataset.js';

/** The bucket of categories not seen (or too rare) in training, and of missing values. */
export const UNKNOWN_CATEGORY = '__unknown__';

/** Which columns a model reads, by kind. */
export interface FeatureSchema {
  readonly numeric: readonly string[];
  readonly categorical: readonly string[];
}

/** A standardised numeric column. */
export interface NumericColumnSpec {
  readonly name: string;
  readonly mean: number;
  /** Standard deviation; 1 where the column is constant. */
  readonly std: number;
  /** Share of training rows where the value was missing; > 0 adds a `name__missing` indicator. */
  readonly missingRate: number;
}

/** A one-hot encoded categorical column; `categories` are followed by {@link UNKNOWN_CATEGORY}. */
export interface CategoricalColumnSpec {
  readonly name: string;
  readonly categories: readonly string[];
  /** Training share of each category, then of the unknown bucket. */
  readonly frequencies: readonly number[];
}

/** Preprocessing fitted on training data; plain JSON, saved inside the model artefact. */
export interface PreprocessingSpec {
  readonly version: 1;
  readonly numeric: readonly NumericColumnSpec[];
  readonly categorical: readonly CategoricalColumnSpec[];
}

/** Dense rows, row-major: `data[row * width + column]`. */
export interface Matrix {
  readonly data: Float32Array;
  readonly rows: number;
  readonly width: number;
}

/** Reads a value as a number; null where missing or not a number. */
export function numericValue(value: FieldValue): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : null;
  }
  return null;
}

/** Reads a value as a category; null where missing. */
export function categoryValue(value: FieldValue): string | null {
  if (value === null || value === undefined || value === '') return null;
  return String(value);
}

/**
 * Fits standardisation (mean-imputed, with a missing indicator where a column has nulls) and
 * one-hot encoding (the `maxCategories` most frequent values, then an unknown bucket).
 */
export function fitPreprocessing(
  records: readonly DataRecord[],
  schema: FeatureSchema,
  maxCategories = 50,
): PreprocessingSpec {
  return {
    version: 1,
    numeric: schema.numeric.map((name) => fitNumeric(records, name)),
    categorical: schema.categorical.map((name) => fitCategorical(records, name, maxCategories)),
  };
}

function fitNumeric(records: readonly DataRecord[], name: string): NumericColumnSpec {
  let count = 0;
  let sum = 0;
  let sumSquares = 0;
  for (const record of records) {
    const value = numericValue(record[name]);
    if (value === null) continue;
    count += 1;
    sum += value;
    sumSquares += value * value;
  }
  const mean = count > 0 ? sum / count : 0;
  const variance = count > 0 ? Math.max(0, sumSquares / count - mean * mean) : 0;
  const std = Math.sqrt(variance);
  const missingRate = records.length > 0 ? (records.length - count) / records.length : 0;
  return { name, mean, std: std > 1e-12 ? std : 1, missingRate };
}

function fitCategorical(
  records: readonly DataRecord[],
  name: string,
  maxCategories: number,
): CategoricalColumnSpec {
  const counts = new Map<string, number>();
  for (const record of records) {
    const value = categoryValue(record[name]);
    if (value !== null && value !== UNKNOWN_CATEGORY) counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, maxCategories);
  const categories = ranked.map(([value]) => value).sort();
  const total = Math.max(1, records.length);
  const frequencies = categories.map((value) => (counts.get(value) ?? 0) / total);
  const known = frequencies.reduce((sum, f) => sum + f, 0);
  return { name, categories, frequencies: [...frequencies, Math.max(0, 1 - known)] };
}

/** One output column: its name and the index of the input column it comes from (numeric first). */
export interface OutputColumn {
  readonly name: string;
  readonly source: number;
}

/** The columns {@link transform} writes, in order, with the input column each comes from. */
export function outputColumns(spec: PreprocessingSpec): OutputColumn[] {
  const columns: OutputColumn[] = [];
  spec.numeric.forEach((column, source) => {
    columns.push({ name: column.name, source });
    if (column.missingRate > 0) columns.push({ name: `${column.name}__missing`, source });
  });
  spec.categorical.forEach((column, i) => {
    const source = spec.numeric.length + i;
    for (const value of [...column.categories, UNKNOWN_CATEGORY])
      columns.push({ name: `${column.name}=${value}`, source });
  });
  return columns;
}

/** Names of the input columns, numeric then categorical (the `source` of {@link OutputColumn}). */
export function inputColumns(spec: PreprocessingSpec): string[] {
  return [...spec.numeric.map((c) => c.name), ...spec.categorical.map((c) => c.name)];
}

/** Transforms records into model rows. */
export function transform(spec: PreprocessingSpec, records: readonly DataRecord[]): Matrix {
  const width = outputColumns(spec).length;
  const data = new Float32Array(records.length * width);
  records.forEach((record, row) => writeRow(spec, record, data, row * width));
  return { data, rows: records.length, width };
}

/** Writes one record's row into `out` from `offset` (no allocation: the single-row scoring path). */
export function writeRow(
  spec: PreprocessingSpec,
  record: DataRecord,
  out: Float32Array,
  offset: number,
): void {
  let at = offset;
  for (const column of spec.numeric) {
    const value = numericValue(record[column.name]);
    out[at++] = value === null ? 0 : (value - column.mean) / column.std;
    if (column.missingRate > 0) out[at++] = value === null ? 1 : 0;
  }
  for (const column of spec.categorical) {
    const value = categoryValue(record[column.name]);
    const index = value === null ? -1 : column.categories.indexOf(value);
    const hot = index < 0 ? column.categories.length : index;
    for (let i = 0; i <= column.categories.length; i++) out[at++] = i === hot ? 1 : 0;
  }
}

/**
 * The expected row under the training data: 0 for standardised values, the missing rate for
 * indicators, category frequencies for one-hot columns. Occlusion explanations replace a
 * column's part of a row with this.
 */
export function baselineRow(spec: PreprocessingSpec): Float32Array {
  const values: number[] = [];
  for (const column of spec.numeric) {
    values.push(0);
    if (column.missingRate > 0) values.push(column.missingRate);
  }
  for (const column of spec.categorical) values.push(...column.frequencies);
  return Float32Array.from(values);
}
