import { describe, expect, it } from 'vitest';
import { openEngine, streamNumbers, streamTable } from './duckdb.js';

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
      (rows, j, values, count) => {
        for (let i = 0; i < count; i++) (j === 0 ? doubles : bigints)[rows[i] ?? 0] = values[i] ?? 0;
      },
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

describe('streamTable', () => {
  it('reads every row of a table into its rowid over several connections', async () => {
    const engine = await openEngine({ threads: 2 });
    const n = 200_003; // four streams of at least 65,536 rows, the last one short
    await engine.connection.run(
      `CREATE TABLE t AS SELECT i * 2 AS twice, CASE WHEN i % 1000 = 7 THEN NULL ELSE i + 0.5 END AS half
       FROM range(${n}) r(i) ORDER BY i`,
    );
    const twice = new Float64Array(n).fill(-1);
    const half = new Float64Array(n).fill(-1);
    const seen = new Uint8Array(n);
    let connections = 0;
    const counting = { connect: () => (connections++, engine.connect()) };
    const rows = await streamTable(counting, 't', 'twice, half', n, (rowIds, j, values, count) => {
      for (let i = 0; i < count; i++) {
        const row = rowIds[i] ?? 0;
        (j === 0 ? twice : half)[row] = values[i] ?? 0;
        seen[row] = (seen[row] ?? 0) + 1;
      }
    });
    engine.close();
    expect(rows).toBe(n);
    expect(connections).toBe(4);
    expect(seen.every((times) => times === 2)).toBe(true);
    const wrong = [];
    for (let i = 0; i < n; i++) {
      const halfOk = i % 1000 === 7 ? Number.isNaN(half[i]) : half[i] === i + 0.5;
      if (twice[i] !== i * 2 || !halfOk) wrong.push(i);
    }
    expect(wrong).toEqual([]);
  });

  it('fails with the failing stream, once every stream has ended and closed its connection', async () => {
    const engine = await openEngine({ threads: 2 });
    const n = 262_144; // four streams; the value at row 150,000 cannot be read as a number
    await engine.connection.run(
      `CREATE TABLE t AS SELECT CASE WHEN i = 150000 THEN 'x' ELSE i::VARCHAR END AS v FROM range(${n}) r(i) ORDER BY i`,
    );
    let [opened, closed] = [0, 0];
    const tracking = {
      connect: async () => {
        const connection = await engine.connect();
        opened++;
        const close = connection.closeSync.bind(connection);
        connection.closeSync = () => (closed++, close());
        return connection;
      },
    };
    await expect(streamTable(tracking, 't', 'CAST(v AS DOUBLE)', n, () => undefined)).rejects.toThrow(/'x'/);
    expect(opened).toBe(4);
    expect(closed).toBe(4);
    engine.close();
  });

  it('reads an empty table', async () => {
    const engine = await openEngine({ threads: 1 });
    await engine.connection.run('CREATE TABLE t (x DOUBLE)');
    const rows = await streamTable(engine, 't', 'x', 0, () => expect.unreachable());
    engine.close();
    expect(rows).toBe(0);
  });
});
