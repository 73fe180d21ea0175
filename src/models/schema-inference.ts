import type { DataRecord } from './dataset.js';
import type { FeatureSchema } from './preprocessing.js';

/** Columns never used as model inputs when the schema is inferred: identifiers, time, outcome. */
export const NON_FEATURE_COLUMNS = [
  'id',
  'transaction_id',
  'account_id',
  'user_id',
  'merchant_id',
  'merchant',
  'timestamp',
  'time',
  'pattern',
] as const;

/**
 * Infers the input columns: numbers (or booleans) are numeric, strings with at most
 * `maxCategories` distinct values are categorical; the label, identifiers and columns
 * with no value at all are left out. Looks at up to `sample` records.
 */
export function inferSchema(
  records: readonly DataRecord[],
  labelField: string,
  exclude: readonly string[] = NON_FEATURE_COLUMNS,
  maxCategories = 50,
  sample = 10_000,
): FeatureSchema {
  const skip = new Set([labelField, ...exclude]);
  const kinds = new Map<string, ColumnKind>();
  for (const record of records.slice(0, sample)) {
    for (const [key, value] of Object.entries(record)) {
      if (!skip.has(key) && value !== null && value !== undefined) observe(kinds, key, value);
    }
  }
  const numeric: string[] = [];
  const categorical: string[] = [];
  for (const [key, kind] of [...kinds].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (kind.strings.size === 0) numeric.push(key);
    else if (kind.numbers === 0 && kind.strings.size <= maxCategories) categorical.push(key);
  }
  return { numeric, categorical };
}

interface ColumnKind {
  numbers: number;
  readonly strings: Set<string>;
}

function observe(kinds: Map<string, ColumnKind>, key: string, value: string | number | boolean): void {
  const kind = kinds.get(key) ?? { numbers: 0, strings: new Set<string>() };
  if (typeof value === 'string') kind.strings.add(value);
  else kind.numbers += 1;
  kinds.set(key, kind);
}
