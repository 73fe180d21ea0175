import { describe, expect, it } from 'vitest';
import {
  UNKNOWN_CATEGORY,
  baselineRow,
  fitPreprocessing,
  outputColumns,
  transform,
} from './preprocessing.js';

const records = [
  { amount: 10, balance: 100, channel: 'web' },
  { amount: 20, balance: null, channel: 'pos' },
  { amount: 30, balance: 300, channel: 'web' },
  { amount: '40', balance: undefined, channel: null },
];

describe('preprocessing', () => {
  const spec = fitPreprocessing(records, { numeric: ['amount', 'balance'], categorical: ['channel'] });

  it('standardises numbers, imputes the mean and flags missing values where a column has them', () => {
    expect(spec.numeric[0]).toEqual({ name: 'amount', mean: 25, std: Math.sqrt(125), missingRate: 0 });
    expect(spec.numeric[1]).toMatchObject({ name: 'balance', mean: 200, std: 100, missingRate: 0.5 });
    expect(outputColumns(spec).map((c) => c.name)).toEqual([
      'amount',
      'balance',
      'balance__missing',
      'channel=pos',
      'channel=web',
      `channel=${UNKNOWN_CATEGORY}`,
    ]);
  });

  it('one-hot encodes with an unknown bucket for missing and unseen categories', () => {
    const { data, rows, width } = transform(spec, [
      { amount: 25, balance: null, channel: 'atm' },
      { amount: 35, balance: 300, channel: 'pos' },
    ]);
    expect([rows, width]).toEqual([2, 6]);
    expect(Array.from(data.subarray(0, 6))).toEqual([0, 0, 1, 0, 0, 1]);
    expect(Array.from(data.subarray(6, 12))).toEqual([Math.fround(10 / Math.sqrt(125)), 1, 0, 1, 0, 0]);
  });

  it('is plain JSON and gives the training baseline row', () => {
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    expect(Array.from(baselineRow(spec))).toEqual([0, 0, 0.5, 0.25, 0.5, 0.25]);
  });
});
