import { describe, expect, it } from 'vitest';
import { openEngine, streamNumbers } from './duckdb.js';

describe('streamNumbers', () => {
  it('reads DOUBLE, BIGINT and NULL values of many chunks into their rows', async () => {
    const engine = await openEngine({ threads: 1 });
    const n = 5000; // three chunks of 2,048 rows
    const doubles = new Float64Array(n).fill(-1);
    const bigints = new Float64Array(n).fill(-1);
    const rows = await streamNumbers(
      engine.connection,
      `SELECT (${n} - 1 - i)::DOUBLE, CASE WHEN i % 37 = 0 OR i > 4990 THEN NULL ELSE i * 0.5 END, i * 3
       FROM range(${n}) t(i) ORDER BY i DESC`,
      (row, j, value) => ((j === 0 ? doubles : bigints)[row] = value),
    );
    engine.close();
    expect(rows).toBe(n);
    for (let row = 0; row < n; row++) {
      const i = n - 1 - row;
      if (i % 37 === 0 || i > 4990) expect(doubles[row]).toBeNaN();
      else expect(doubles[row]).toBe(i * 0.5);
      expect(bigints[row]).toBe(i * 3);
    }
  });
});
