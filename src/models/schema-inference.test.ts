import { describe, expect, it } from 'vitest';
import type { DataRecord } from './dataset.js';
import { inferSchema } from './schema-inference.js';

/** Records as the CSV reader gives a column it read as text: every value a string. */
const rows = (amounts: readonly string[]): DataRecord[] =>
  amounts.map((amount, i) => ({ amount, kind: i % 2 ? 'a' : 'b', is_fraud: i % 2 }));

const amounts = (n: number) => Array.from({ length: n }, (_, i) => `${(i * 7.31).toFixed(2)}`);

describe('inferSchema', () => {
  it('refuses a column of numbers with a value that is not one, naming the column and the row', () => {
    const values = amounts(200);
    values[16] = 'n/a';
    // Before, the column (text with 200 distinct values) was left out of the model silently.
    expect(() => inferSchema(rows(values), 'is_fraud')).toThrow(
      "Column amount holds numbers, but 1 of the first 200 values is not (the first in data row 17, the header not counted: 'n/a')",
    );
  });

  it('names the way out, --exclude and the column as one shell word', () => {
    const values = amounts(200);
    values[3] = 'n/a';
    const named = (column: string) => values.map((value, i) => ({ [column]: value, is_fraud: i % 2 }));
    expect(() => inferSchema(named('amount'), 'is_fraud')).toThrow(
      'leave the column out (--exclude amount).',
    );
    expect(() => inferSchema(named("it's $x"), 'is_fraud')).toThrow(`(--exclude 'it'\\''s $x').`);
  });

  it('refuses one read as text for a value beyond the rows it looks at', () => {
    expect(() => inferSchema(rows(amounts(200)), 'is_fraud', [], 50, 100)).toThrow(
      'a value after the rows looked at is not, so the whole column was read as text',
    );
  });

  it('keeps text categories, few numeric codes among them, and plain number columns', () => {
    const codes = ['5411', '5812', 'other'].flatMap((c) => Array<string>(10).fill(c));
    const records = codes.map((mcc, i) => ({ mcc, amount: i * 1.5, is_fraud: i % 2 }));
    expect(inferSchema(records, 'is_fraud')).toEqual({ numeric: ['amount'], categorical: ['mcc'] });
    // Postcodes, a third with letters: a text column (left out, too many values), not refused.
    const postcodes = amounts(200).map((a, i) => (i % 3 ? a : `SW${i}A`));
    expect(inferSchema(rows(postcodes), 'is_fraud')).toEqual({ numeric: [], categorical: ['kind'] });
    const words = Array.from({ length: 100 }, (_, i) => `word ${i}`);
    expect(inferSchema(rows(words), 'is_fraud')).toEqual({ numeric: [], categorical: ['kind'] });
  });
});
