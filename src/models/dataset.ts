import { createHash } from 'node:crypto';
import type { Random } from './random.js';

/** A value of one column of a training or scoring record. */
export type FieldValue = number | string | boolean | null | undefined;

/** One row: a transaction's fields and features by name (plus the label when training). */
export type DataRecord = Readonly<Record<string, FieldValue>>;

/**
 * Reads the label column as 0/1: 1, true, "1", "true", "fraud", "yes" are fraud; anything else legit.
 */
export function labelsOf(records: readonly DataRecord[], labelField: string): Uint8Array {
  const labels = new Uint8Array(records.length);
  records.forEach((record, i) => {
    labels[i] = isPositive(record[labelField]) ? 1 : 0;
  });
  return labels;
}

function isPositive(value: FieldValue): boolean {
  if (typeof value === 'number') return value === 1;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') return ['1', 'true', 'fraud', 'yes'].includes(value.trim().toLowerCase());
  return false;
}

/** Row indices of the two parts of a split. */
export interface Split {
  readonly train: readonly number[];
  readonly test: readonly number[];
}

/**
 * Stratified split: each class is shuffled with `random` and `testFraction` of it (rounded)
 * goes to `test`. Indices of each part are returned in ascending order.
 */
export function stratifiedSplit(labels: Uint8Array, testFraction: number, random: Random): Split {
  const train: number[] = [];
  const test: number[] = [];
  for (const cls of [0, 1]) {
    const members: number[] = [];
    labels.forEach((label, i) => {
      if (label === cls) members.push(i);
    });
    random.shuffle(members);
    const cut = Math.round(members.length * testFraction);
    test.push(...members.slice(0, cut));
    train.push(...members.slice(cut));
  }
  const ascending = (a: number, b: number) => a - b;
  return { train: train.sort(ascending), test: test.sort(ascending) };
}

/**
 * SHA-256 of the canonical form of the training data: one line per record, keys sorted,
 * values JSON-encoded (undefined as null), then the label field's name.
 */
export function dataHash(records: readonly DataRecord[], labelField: string): string {
  const hash = createHash('sha256');
  for (const record of records) {
    const keys = Object.keys(record).sort();
    hash.update(JSON.stringify(keys.map((key) => [key, record[key] ?? null])));
    hash.update('\n');
  }
  hash.update(`label:${labelField}`);
  return hash.digest('hex');
}
