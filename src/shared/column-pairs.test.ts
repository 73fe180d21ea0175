import { describe, expect, it } from 'vitest';
import { columnPairs } from './column-pairs.js';

describe('columnPairs (the --map flag)', () => {
  it('splits pairs given one per flag or comma-separated, trimming both sides', () => {
    const { pairs, malformed } = columnPairs(['uid = user_id,ts=timestamp', ' amt=amount ']);
    expect(pairs.map((p) => [p.column, p.field])).toEqual([
      ['uid', 'user_id'],
      ['ts', 'timestamp'],
      ['amt', 'amount'],
    ]);
    expect(malformed).toEqual([]);
  });

  it('returns, as written, pairs without exactly one = or with an empty side', () => {
    expect(columnPairs(['customer', 'a=b=c', '=amount', 'amt= ', 'ok=amount']).malformed).toEqual([
      'customer',
      'a=b=c',
      '=amount',
      'amt= ',
    ]);
  });

  it('reads a double-quoted column name as written: commas, = and spaces kept, "" as a quote', () => {
    const { pairs, malformed } = columnPairs([
      '"Amount, USD"=amount, "a=b" = user_id',
      '" padded "=timestamp,"say ""hi"""=label',
      '"open=amount',
      '"a"b=amount',
      'my"col=amount, c=user_id',
    ]);
    expect(pairs.map((p) => [p.column, p.field])).toEqual([
      ['Amount, USD', 'amount'],
      ['a=b', 'user_id'],
      [' padded ', 'timestamp'],
      ['say "hi"', 'label'],
      ['my"col', 'amount'],
      ['c', 'user_id'],
    ]);
    expect(malformed).toEqual(['"open=amount', '"a"b=amount']);
  });
});
