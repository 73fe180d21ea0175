import { AppError } from '../errors.js';
import { isDecimalText } from '../shared/decimal-text.js';
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
  records.slice(0, sample).forEach((record, index) => {
    for (const [key, value] of Object.entries(record)) {
      if (!skip.has(key) && value !== null && value !== undefined) observe(kinds, key, value, index + 1);
    }
  });
  const numeric: string[] = [];
  const categorical: string[] = [];
  for (const [key, kind] of [...kinds].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    checkNumbersAsText(key, kind, maxCategories);
    if (kind.strings.size === 0) numeric.push(key);
    else if (kind.numbers === 0 && kind.strings.size <= maxCategories) categorical.push(key);
  }
  return { numeric, categorical };
}

interface ColumnKind {
  numbers: number;
  readonly strings: Set<string>;
  /** Text values that read as decimal numbers, and the first that does not (its 1-based row). */
  numberTexts: number;
  otherTexts: number;
  firstOther?: { readonly row: number; readonly value: string };
}

function observe(
  kinds: Map<string, ColumnKind>,
  key: string,
  value: string | number | boolean,
  row: number,
): void {
  const kind = kinds.get(key) ?? { numbers: 0, strings: new Set<string>(), numberTexts: 0, otherTexts: 0 };
  if (typeof value === 'string') {
    kind.strings.add(value);
    if (isDecimalText(value)) kind.numberTexts += 1;
    else if (value.trim() !== '') {
      kind.otherTexts += 1;
      kind.firstOther ??= { row, value };
    }
  } else kind.numbers += 1;
  kinds.set(key, kind);
}

/**
 * Refuses a column of numbers with a few values that are not (`n/a`, `1,5`, `Infinity`): read
 * as text, it had too many distinct values to be a category and was left out of the model
 * without a word, however much it mattered.
 */
/** Most text values that may not be numbers in a column refused as numbers with bad values. */
const MOSTLY = 0.05;

function checkNumbersAsText(column: string, kind: ColumnKind, maxCategories: number): void {
  const { firstOther, numberTexts, otherTexts } = kind;
  const wouldBeDropped = kind.numbers > 0 || kind.strings.size > maxCategories; // else a category
  // Mostly words (postcodes with letters, device ids) is a text column, left out as before.
  const mostlyNumbers = otherTexts <= MOSTLY * (numberTexts + otherTexts);
  if (numberTexts === 0 || !mostlyNumbers || !wouldBeDropped) return;
  const values = numberTexts + otherTexts;
  const which =
    firstOther === undefined
      ? 'a value after the rows looked at is not, so the whole column was read as text'
      : `${count(otherTexts)} of the first ${count(values)} values ${otherTexts === 1 ? 'is' : 'are'} not (the first in data row ${firstOther.row}, the header not counted: '${firstOther.value.slice(0, 40)}')`;
  const message = `Column ${column} holds numbers, but ${which}; fix or empty such values, or leave the column out (--exclude ${shellWord(column)}).`;
  throw new AppError('INPUT_INVALID', message, {
    details: { column, not_numbers: otherTexts, ...(firstOther && { first_row: firstOther.row }) },
  });
}

const count = (n: number) => n.toLocaleString('en-US');

/** `name` as one shell word: as it is when plain, else in single quotes. */
function shellWord(name: string): string {
  return /^[\w.,:@%+=-]+$/.test(name) ? name : `'${name.replaceAll("'", `'\\''`)}'`;
}
