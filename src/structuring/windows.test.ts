import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppError } from '../errors.js';
import { tempDir } from '../../test/helpers.js';
import { literal, openEngine, queryNumber, type Engine } from './duckdb.js';
import { mulberry32 } from './detectors/index.js';
import { loadFiles } from './source.js';
import { DEFAULT_COLUMNS, FEATURES, parseColumnMap, parseWindows, runParamsOf } from './structuring.js';
import { generateLedger } from './ledger.generator.js';
import { buildWindows, featureMaxima, readGroup } from './windows.js';

interface Tx {
  id: string;
  user: string;
  merchant: string;
  ms: number;
  amount: number;
}

const T0 = Date.UTC(2025, 0, 1);
const HOUR = 3_600_000;

/** 300 transactions of 6 users at 4 merchants over 5 days, with same-instant ties. */
function makeTransactions(): Tx[] {
  const gen = mulberry32(42);
  const rng = () => gen.nextUint32() / 2 ** 32;
  const txs: Tx[] = [];
  for (let i = 0; i < 300; i++) {
    const ms = T0 + Math.floor(rng() * 5 * 24) * HOUR + (rng() < 0.1 ? 0 : Math.floor(rng() * 60) * 60_000);
    txs.push({
      id: `t${i}`,
      user: `u${Math.floor(rng() * 6)}`,
      merchant: `m${Math.floor(rng() * 4)}`,
      ms,
      amount: Math.round(rng() * 100000) / 100,
    });
  }
  return txs;
}

function csvOf(txs: readonly Tx[], header = DEFAULT_COLUMNS): string {
  const lines = txs.map((t) =>
    [
      t.id,
      `A${t.user}`,
      t.user,
      t.merchant,
      'S1',
      new Date(t.ms).toISOString().replace('T', ' ').replace('Z', ''),
      'purchase',
      t.amount,
    ].join(','),
  );
  const names = [
    header.id,
    'account_number',
    header.user_id,
    header.merchant_id,
    'subsidiary',
    header.timestamp,
    'transaction_type',
    header.amount,
  ];
  return [names.join(','), ...lines].join('\n');
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
const sampleStd = (xs: number[]) => {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

/** Brute force: the window of t holds same-key transactions in [t − L, t]; delta to the previous (ts, id order). */
function bruteForce(txs: readonly Tx[], key: (t: Tx) => string, hours: number) {
  const byKey = new Map<string, Tx[]>();
  for (const t of txs) byKey.set(key(t), [...(byKey.get(key(t)) ?? []), t]);
  const out = new Map<string, number[]>();
  for (const list of byKey.values()) {
    list.sort((a, b) => a.ms - b.ms || (a.id < b.id ? -1 : 1));
    const delta = list.map((t, i) => (i === 0 ? NaN : (t.ms - (list[i - 1]?.ms ?? 0)) / HOUR));
    list.forEach((t) => {
      const inWindow = list
        .map((u, j) => ({ u, d: delta[j] ?? NaN }))
        .filter(({ u }) => u.ms >= t.ms - hours * HOUR && u.ms <= t.ms);
      const amounts = inWindow.map(({ u }) => u.amount);
      const deltas = inWindow.map(({ d }) => d).filter((d) => !Number.isNaN(d));
      const own = delta[list.indexOf(t)] ?? NaN;
      out.set(t.id, [
        amounts.length,
        amounts.reduce((a, b) => a + b, 0),
        mean(amounts),
        sampleStd(amounts),
        own,
        mean(deltas),
        sampleStd(deltas),
      ]);
    });
  }
  return out;
}

describe('window features', () => {
  let engine: Engine;
  let dir: string;
  const txs = makeTransactions();
  beforeAll(async () => {
    engine = await openEngine({ threads: 1 });
    dir = tempDir('centinela-structuring-');
    writeFileSync(join(dir, 'log.csv'), csvOf(txs));
  });
  afterAll(() => engine.close());

  it('parses --window 24h,72h,7d into lengths in hours, shortest first', () => {
    expect(parseWindows('7d, 24h,72h')).toEqual([
      { label: '24h', hours: 24 },
      { label: '72h', hours: 72 },
      { label: '7d', hours: 168 },
    ]);
    expect(parseWindows('90m,1w').map((w) => w.hours)).toEqual([1.5, 168]);
    expect(() => parseWindows('24x')).toThrow(/not a window length/);
  });

  it('labels a window length with its number written canonically (0024h is 24h)', () => {
    expect(parseWindows('0024h,1.50h,007d')).toEqual([
      { label: '1.5h', hours: 1.5 },
      { label: '24h', hours: 24 },
      { label: '7d', hours: 168 },
    ]);
  });

  it('takes each window length once, from one minute to ten years', () => {
    expect(parseWindows('24h,1d,1440m')).toEqual([{ label: '24h', hours: 24 }]);
    expect(parseWindows('1m,3660d').map((w) => w.hours)).toEqual([1 / 60, 3660 * 24]);
    for (const bad of ['0.00001h', '3661d', '200000000000d', '1000000000000000000000w'])
      expect(() => parseWindows(bad), bad).toThrow(/not a window length from 1m to 3660d/);
  });

  it('names the API field of a bad window length: windows, or the item of a list', () => {
    const fieldOf = (spec: string | string[]) => {
      try {
        parseWindows(spec);
      } catch (error) {
        return (error as AppError).details;
      }
      return undefined;
    };
    expect(fieldOf('24h,0h')).toMatchObject([{ field: 'windows' }]);
    expect(fieldOf(['24h', '0h'])).toMatchObject([{ field: 'windows[1]' }]);
    expect(fieldOf(['24h', ''])).toMatchObject([{ field: 'windows[1]' }]);
    expect(fieldOf('24h,')).toBeUndefined();
  });

  it('names the API field of an unknown method: methods, or the item of a list', () => {
    const fieldOf = (spec: string | string[]) => {
      try {
        return runParamsOf({ methods: spec }).methods;
      } catch (error) {
        return (error as AppError).details;
      }
    };
    expect(fieldOf('rules,lofx')).toMatchObject([{ field: 'methods' }]);
    expect(fieldOf(['rules', 'lofx'])).toMatchObject([{ field: 'methods[1]' }]);
    expect(fieldOf(['rules', ''])).toMatchObject([{ field: 'methods[1]' }]);
    expect(fieldOf('rules,,lof')).toEqual(['rules', 'lof']);
  });

  it('refuses min_methods above the methods chosen, and defaults it to at most their number', () => {
    expect(runParamsOf({ methods: 'rules' }).minMethods).toBe(1);
    expect(runParamsOf({ methods: 'rules,lof' }).minMethods).toBe(2);
    expect(runParamsOf({}).minMethods).toBe(3);
    expect(runParamsOf({ methods: 'rules,lof', minMethods: 2 }).minMethods).toBe(2);
    expect(() => runParamsOf({ methods: 'rules', minMethods: 2 })).toThrow(
      /min_methods is 2 but only 1 method\(s\) run/,
    );
  });

  it.each([
    ['user', 0, 24],
    ['user', 1, 72],
    ['user', 2, 168],
    ['user_merchant', 3, 24],
    ['user_merchant', 4, 72],
    ['user_merchant', 5, 168],
  ] as const)('%s windows (group %i, %i h) equal a brute-force computation', async (scope, index, hours) => {
    await loadFiles(engine.connection, join(dir, 'log.csv'), DEFAULT_COLUMNS);
    const groups = await buildWindows(engine.connection, parseWindows('24h,72h,7d'));
    const group = groups[index];
    expect(group).toMatchObject({ scope, window: { hours } });
    const f = await readGroup(engine, group!);
    expect(f.n).toBe(txs.length);
    const ids = (
      await engine.connection.runAndReadAll(`SELECT tx_id FROM ${group!.table} ORDER BY rowid`)
    ).getRows();
    const expected = bruteForce(
      txs,
      scope === 'user' ? (t) => t.user : (t) => `${t.user}|${t.merchant}`,
      hours,
    );
    ids.forEach(([id], row) => {
      const want = expected.get(String(id))!;
      FEATURES.forEach((_, j) => {
        const got = f.features[row * FEATURES.length + j]!;
        if (Number.isNaN(want[j]!)) expect(got).toBeNaN();
        else expect(got).toBeCloseTo(want[j]!, 6);
      });
    });
  });

  it('reads Parquet files and globs of many files', async () => {
    writeFileSync(join(dir, 'part-1.csv'), csvOf(txs.slice(0, 100)));
    writeFileSync(join(dir, 'part-2.csv'), csvOf(txs.slice(100)));
    await loadFiles(engine.connection, join(dir, 'part-*.csv'), DEFAULT_COLUMNS);
    expect(await queryNumber(engine.connection, 'SELECT count(*) FROM tx')).toBe(300);
    const parquet = join(dir, 'log.parquet');
    await engine.connection.run(
      `COPY (SELECT * FROM read_csv(${literal(join(dir, 'log.csv'))})) TO ${literal(parquet)} (FORMAT PARQUET)`,
    );
    await loadFiles(engine.connection, parquet, DEFAULT_COLUMNS);
    expect(await queryNumber(engine.connection, 'SELECT count(*) FROM tx')).toBe(300);
    // A pattern read as CSV that also matches the Parquet file is refused, naming the file.
    await expect(loadFiles(engine.connection, join(dir, '*'), DEFAULT_COLUMNS)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining(`matches Parquet files (${parquet}) but is read as CSV`),
      details: { files: [parquet] },
    });
    expect(await queryNumber(engine.connection, 'SELECT round(sum(amount), 2) FROM tx')).toBeCloseTo(
      txs.reduce((a, t) => a + t.amount, 0),
      2,
    );
  });

  it('maps other column names with --map column=field', async () => {
    const renamed = { ...DEFAULT_COLUMNS, user_id: 'customer', timestamp: 'ts', amount: 'value' };
    writeFileSync(join(dir, 'renamed.csv'), csvOf(txs, renamed));
    const path = join(dir, 'renamed.csv');
    await expect(loadFiles(engine.connection, path, DEFAULT_COLUMNS)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining(
        `The input '${path}' lacks columns: user_id, transaction_date, transaction_amount.`,
      ),
    });
    // An optional field mapped to a column that is not there is refused, not left empty.
    await expect(
      loadFiles(engine.connection, join(dir, 'log.csv'), parseColumnMap(['nosuch=merchant_id'])),
    ).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining('lacks columns: nosuch'),
    });
    expect(() => parseColumnMap(['customer'])).toThrow(/^'customer' must be column=field/);
    // Two columns for one field: the last won silently, so row ids were read as amounts.
    expect(() => parseColumnMap(['transaction_amount=amount', '_id=amount'])).toThrow(
      "Two columns are mapped to amount: 'transaction_amount' and '_id'; map one.",
    );
    expect(() => parseColumnMap({ value: 'amount', other: 'transaction_amount' })).toThrow(
      /mapped to amount/,
    );
    expect(parseColumnMap(['value=amount', 'value=amount']).amount).toBe('value');
    expect(() => parseColumnMap(['a=user_id=b'])).toThrow(/^'a=user_id=b' must be column=field/);
    await loadFiles(
      engine.connection,
      path,
      parseColumnMap(['customer=user_id', 'ts=timestamp', 'value=transaction_amount']),
    );
    const users = await queryNumber(engine.connection, 'SELECT count(DISTINCT user_id) FROM tx');
    expect(users).toBe(new Set(txs.map((t) => t.user)).size);
  });

  it('says what a column must hold when its values are of another kind', async () => {
    const header = 'user_id,merchant_id,transaction_date,transaction_amount,_id';
    const load = (name: string, rows: string[]) => {
      const file = join(dir, name);
      writeFileSync(file, [header, ...rows].join('\n') + '\n');
      return loadFiles(engine.connection, file, DEFAULT_COLUMNS);
    };
    // 'inf' is a date to the CSV reader: the message said "is DATE; it must be a number".
    await expect(
      load('inf.csv', ['u,m,2026-01-01T00:00:00Z,inf,1', 'u,m,2026-01-01T01:00:00Z,inf,2']),
    ).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message:
        'The column transaction_amount (amount) must hold a number in every row; its values read as DATE.',
    });
    // ISO text and epoch seconds in one column: epoch seconds are read, but not mixed with text.
    await expect(
      load('mixed.csv', ['u,m,2026-01-01T00:00:00Z,5,1', 'u,m,1735704000,6,2']),
    ).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining('or else epoch seconds or ms, one kind in the whole column'),
    });
  });

  describe('a NUL character in a text column', () => {
    const withNul = (i: number, change: (t: Tx) => Tx) => txs.map((t, j) => (i === j ? change(t) : t));
    const refusal = (column: string) => ({
      code: 'INPUT_INVALID',
      details: { kind: 'nul_character', column },
    });

    it('is refused in CSV, naming the column', async () => {
      const path = join(dir, 'nul-user.csv');
      writeFileSync(path, csvOf(withNul(5, (t) => ({ ...t, user: `${t.user}\u0000x` }))));
      await expect(loadFiles(engine.connection, path, DEFAULT_COLUMNS)).rejects.toMatchObject(
        refusal(DEFAULT_COLUMNS.user_id),
      );
    });

    it('is refused in Parquet', async () => {
      const csv = join(dir, 'nul-merchant.csv');
      writeFileSync(csv, csvOf(withNul(7, (t) => ({ ...t, merchant: `m\u0000${t.merchant}` }))));
      const parquet = join(dir, 'nul-merchant.parquet');
      await engine.connection.run(
        `COPY (SELECT * FROM read_csv(${literal(csv)})) TO ${literal(parquet)} (FORMAT PARQUET)`,
      );
      await expect(loadFiles(engine.connection, parquet, DEFAULT_COLUMNS)).rejects.toMatchObject(
        refusal(DEFAULT_COLUMNS.merchant_id),
      );
    });

    it('is refused in a column renamed with --map, naming it as the file does', async () => {
      const path = join(dir, 'nul-ref.csv');
      const header = { ...DEFAULT_COLUMNS, id: 'ref' };
      writeFileSync(
        path,
        csvOf(
          withNul(0, (t) => ({ ...t, id: `\u0000${t.id}` })),
          header,
        ),
      );
      await expect(loadFiles(engine.connection, path, parseColumnMap(['ref=id']))).rejects.toMatchObject(
        refusal('ref'),
      );
    });

    it('is not claimed by a file that holds the failure text itself', async () => {
      const path = join(dir, 'marker.csv');
      const marker = 'Invalid Input Error: Centinela: a NUL character in field user_id';
      writeFileSync(path, `user_id,transaction_date,transaction_amount\nu1,2026-01-01,${marker}\n`);
      const error = await loadFiles(engine.connection, path, DEFAULT_COLUMNS).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'INPUT_INVALID', details: { kind: 'bad_value' } });
      expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain('Centinela');
    });
  });

  it('reads timestamps in UTC: an offset in the text is applied, epoch seconds of any integer type are read', async () => {
    const csv = join(dir, 'offsets.csv');
    writeFileSync(
      csv,
      [
        '_id,user_id,merchant_id,transaction_date,transaction_amount',
        'a,u1,m1,2025-01-01T10:00:00-05:00,10',
        'b,u1,m1,2025-01-01 16:00:00,20',
        'c,u1,m1,2025-11-02T05:30:00Z,30',
      ].join('\n'),
    );
    const times = async () => {
      const reader = await engine.connection.runAndReadAll(
        'SELECT epoch_ms(ts)::DOUBLE FROM tx ORDER BY tx_id',
      );
      return reader.getRows().map((row) => new Date(Number(row[0])).toISOString());
    };
    await loadFiles(engine.connection, csv, DEFAULT_COLUMNS);
    // a plain cast dropped the offset: 10:00 instead of 15:00
    expect(await times()).toEqual([
      '2025-01-01T15:00:00.000Z',
      '2025-01-01T16:00:00.000Z',
      '2025-11-02T05:30:00.000Z',
    ]);
    const parquet = join(dir, 'int32-seconds.parquet');
    await engine.connection.run(
      `COPY (SELECT 'a' AS _id, 'u1' AS user_id, 'm1' AS merchant_id, 1735725600::INTEGER AS transaction_date,
        10.0 AS transaction_amount) TO ${literal(parquet)} (FORMAT parquet)`,
    );
    await loadFiles(engine.connection, parquet, DEFAULT_COLUMNS); // INT32 * 1000 overflowed
    expect(await times()).toEqual(['2025-01-01T10:00:00.000Z']);
  });

  it('refuses rows without a user, time or amount, or with an amount that is not a finite number', async () => {
    const header = '_id,user_id,merchant_id,transaction_date,transaction_amount';
    const csv = join(dir, 'incomplete.csv');
    writeFileSync(
      csv,
      [
        header,
        '1,U1,M1,2025-01-01 10:00:00,10',
        '2,U1,M1,2025-01-01 11:00:00,',
        '3,,M1,2025-01-01 12:00:00,5',
        '4,U1,M1,,5',
        '5,U1,M1,2025-01-01 13:00:00,',
      ].join('\n'),
    );
    await expect(loadFiles(engine.connection, csv, DEFAULT_COLUMNS)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining(
        "1 row has no value in column 'user_id'; 1 row has no value in column 'transaction_date'; 2 rows have no value in column 'transaction_amount'",
      ),
    });
    const nan = join(dir, 'nan.csv');
    writeFileSync(
      nan,
      [header, '1,U1,M1,2025-01-01 10:00:00,10', '2,U1,M1,2025-01-01 11:00:00,NaN'].join('\n'),
    );
    await expect(loadFiles(engine.connection, nan, DEFAULT_COLUMNS)).rejects.toMatchObject({
      message: expect.stringContaining(
        "1 row has a value that is not a finite number in column 'transaction_amount'",
      ),
    });
    // A glob of two files, the second naming its amount column otherwise: its rows were dropped.
    const parts = join(dir, 'parts');
    mkdirSync(parts);
    writeFileSync(join(parts, 'a.csv'), [header, '1,U1,M1,2025-01-01 10:00:00,10'].join('\n'));
    writeFileSync(
      join(parts, 'b.csv'),
      [header.replace('transaction_amount', 'amount'), '2,U1,M1,2025-01-01 11:00:00,5'].join('\n'),
    );
    await expect(loadFiles(engine.connection, join(parts, '*.csv'), DEFAULT_COLUMNS)).rejects.toMatchObject({
      message: expect.stringContaining("1 row has no value in column 'transaction_amount'"),
    });
  });

  it('refuses amounts beyond ±1e12 (a window std past 1.3e154 failed as INTERNAL) and infinite times', async () => {
    const header = '_id,user_id,merchant_id,transaction_date,transaction_amount';
    const file = join(dir, 'extremes.csv');
    const row = (id: number, date: string, amount: string) => `${id},U1,M1,${date},${amount}`;
    writeFileSync(
      file,
      [header, row(1, '2025-01-01 10:00:00', '1e12'), row(2, '2025-01-01 11:00:00', '-1e12')].join('\n'),
    );
    await loadFiles(engine.connection, file, DEFAULT_COLUMNS); // the bound itself is read
    writeFileSync(
      file,
      [
        header,
        row(1, '2025-01-01 10:00:00', '1e200'),
        row(2, '2025-01-01 11:00:00', '-1.5e12'),
        row(3, 'infinity', '10'),
        row(4, '-infinity', '10'),
        row(5, '2025-01-01 12:00:00', '10'),
      ].join('\n'),
    );
    await expect(loadFiles(engine.connection, file, DEFAULT_COLUMNS)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining(
        "2 rows have a time that is not finite (infinity) in column 'transaction_date'; 2 rows have an amount beyond ±1e+12",
      ),
      details: {
        file,
        problems: [
          { field: 'timestamp', rows: 2 },
          { field: 'amount', column: 'transaction_amount', rows: 2 },
        ],
      },
    });
    const parquet = join(dir, 'infinite-time.parquet');
    await engine.connection.run(
      `COPY (SELECT 'a' AS _id, 'u1' AS user_id, 'infinity'::TIMESTAMP AS transaction_date,
        10.0 AS transaction_amount) TO ${literal(parquet)} (FORMAT parquet)`,
    );
    await expect(loadFiles(engine.connection, parquet, DEFAULT_COLUMNS)).rejects.toMatchObject({
      details: {
        problems: [{ field: 'timestamp', problem: 'a time that is not finite (infinity)', rows: 1 }],
      },
    });
  });

  it('names the column and line of a value past the rows the CSV reader guessed types from', async () => {
    const header = '_id,user_id,merchant_id,transaction_date,transaction_amount';
    const rows = (bad: (i: number) => boolean, date: string, amount: string) =>
      Array.from({ length: 25_000 }, (_, i) =>
        bad(i) ? `${i},U1,M1,${date},${amount}` : `${i},U1,M1,2025-01-01 10:00:00,${i % 90}.5`,
      );
    const late = join(dir, 'late-text.csv');
    writeFileSync(late, [header, ...rows((i) => i === 24_000, '2025-01-01 10:00:00', 'n/a')].join('\n'));
    await expect(loadFiles(engine.connection, late, DEFAULT_COLUMNS)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: `Cannot read '${late}': column transaction_amount: a value cannot be read as a number (line 24002).`,
      details: { kind: 'bad_value', column: 'transaction_amount', line: 24_002 },
    });
    const lateDate = join(dir, 'late-date.csv');
    writeFileSync(lateDate, [header, ...rows((i) => i === 24_000, 'soon', '5')].join('\n'));
    await expect(loadFiles(engine.connection, lateDate, DEFAULT_COLUMNS)).rejects.toMatchObject({
      details: { kind: 'bad_value', column: 'transaction_date', line: 24_002 },
    });
  });

  it('says a CSV read as one column has a row near the top with another number of fields', async () => {
    const ragged = join(dir, 'ragged.csv');
    const header = '_id,user_id,merchant_id,transaction_date,transaction_amount';
    writeFileSync(
      ragged,
      [header, '1,U1,M1,2025-01-01 10:00:00,10', '2,U1', '3,U1,M1,2025-01-01 11:00:00,5'].join('\n'),
    );
    await expect(loadFiles(engine.connection, ragged, DEFAULT_COLUMNS)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining(
        `The input '${ragged}' was read as one column: its delimiter could not be detected.`,
      ),
      details: expect.arrayContaining([
        expect.objectContaining({ field: 'input', code: 'delimiter_not_detected' }),
      ]),
    });
  });

  it('refuses labels other than 0 and 1; an empty label is an unlabelled row', async () => {
    const header = '_id,user_id,merchant_id,transaction_date,transaction_amount,is_structuring';
    const rows = (...labels: string[]) =>
      [header, ...labels.map((label, i) => `${i},U1,M1,2025-01-01 1${i}:00:00,10,${label}`)].join('\n');
    const labelled = join(dir, 'labels.csv');
    writeFileSync(labelled, rows('0', '1', ''));
    await loadFiles(engine.connection, labelled, DEFAULT_COLUMNS);
    const read = await engine.connection.runAndReadAll('SELECT label FROM tx ORDER BY tx_id');
    expect(read.getRows().map(([label]) => label)).toEqual([0, 1, null]);
    writeFileSync(labelled, rows('0', '2', '-1', '1', '0.6'));
    await expect(loadFiles(engine.connection, labelled, DEFAULT_COLUMNS)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining("3 rows have a label other than 0 or 1 in column 'is_structuring'"),
      details: expect.objectContaining({
        problems: [
          { field: 'label', column: 'is_structuring', problem: 'a label other than 0 or 1', rows: 3 },
        ],
      }),
    });
  });

  it('reads id, user and merchant cells as the file writes them, not as guessed numbers', async () => {
    const file = join(dir, 'numeric-keys.csv');
    const ids = [
      '10000000000000000000',
      '10000000000000000001',
      '5',
      '5.0',
      '1.1',
      '1.10',
      '11000000000000000000000000000000',
    ];
    const rows = ids.map(
      (id, i) => `${id},${10n ** 19n + BigInt(i % 5)},00${i % 2},2025-01-01 1${i}:00:00,10`,
    );
    // A mapped user column whose name needs quoting in SQL.
    writeFileSync(
      file,
      ["_id,cust's id,merchant_id,transaction_date,transaction_amount", ...rows].join('\n'),
    );
    await loadFiles(engine.connection, file, parseColumnMap({ "cust's id": 'user_id' }));
    const read = await engine.connection.runAndReadAll(
      'SELECT tx_id, user_id, merchant_id FROM tx ORDER BY ts',
    );
    const column = (j: number) => read.getRows().map((row) => row[j]);
    expect(column(0)).toEqual(ids);
    expect(new Set(column(1)).size).toBe(5);
    expect(column(1)[4]).toBe('10000000000000000004');
    expect(column(2).slice(0, 2)).toEqual(['000', '001']);
  });

  it('reads one column mapped to the user and the merchant (it is typed once)', async () => {
    const file = join(dir, 'one-key-column.csv');
    writeFileSync(
      file,
      ['_id,acct,transaction_date,transaction_amount', 'a,007,2025-01-01 10:00:00,10'].join('\n'),
    );
    await loadFiles(engine.connection, file, parseColumnMap(['acct=user_id', 'acct=merchant_id']));
    const read = await engine.connection.runAndReadAll('SELECT user_id, merchant_id FROM tx');
    expect(read.getRows()).toEqual([['007', '007']]);
  });

  it('refuses ids on more than one row (a row exported twice counted twice in its windows)', async () => {
    const header = '_id,user_id,merchant_id,transaction_date,transaction_amount';
    const file = join(dir, 'repeated.csv');
    const row = (id: string, hour: number) => `${id},U1,M1,2025-01-01 ${10 + hour}:00:00,10`;
    writeFileSync(
      file,
      [header, row('a', 0), row('b', 1), row('a', 2), row('c', 3), row('c', 4), row('a', 5)].join('\n'),
    );
    await expect(loadFiles(engine.connection, file, DEFAULT_COLUMNS)).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: expect.stringContaining("2 ids are on 5 rows in column '_id'"),
    });
    // An empty id is '#' and the row's number, which a numeric id cannot equal: 2 and 3 here.
    writeFileSync(file, [header, row('2', 0), row('', 1), row('', 2), row('3', 3)].join('\n'));
    await loadFiles(engine.connection, file, DEFAULT_COLUMNS);
    const ids = await engine.connection.runAndReadAll('SELECT tx_id FROM tx ORDER BY ts');
    expect(ids.getRows().map(([id]) => id)).toEqual(['2', '#2', '#3', '3']);
  });

  it('rejects a path that matches no file with INPUT_NOT_FOUND', async () => {
    await expect(
      loadFiles(engine.connection, join(dir, 'nope-*.parquet'), DEFAULT_COLUMNS),
    ).rejects.toMatchObject({
      code: 'INPUT_NOT_FOUND',
    });
  });
});

describe('feature maxima for the report bins', () => {
  it('takes each feature’s largest value over every window length, a missing delta as the length', async () => {
    const engine = await openEngine({ threads: 1 });
    const dir = tempDir('centinela-maxima-');
    const txs = makeTransactions();
    writeFileSync(join(dir, 'log.csv'), csvOf(txs));
    await loadFiles(engine.connection, join(dir, 'log.csv'), DEFAULT_COLUMNS);
    const groups = await buildWindows(engine.connection, parseWindows('24h,7d'));
    const maxima = await featureMaxima(engine.connection, groups, ['count_amt', 'sum_amt', 'delta']);
    const maxCount = (label: string) =>
      queryNumber(
        engine.connection,
        `SELECT max(count_amt) FROM (${groups
          .filter((g) => g.window.label === label)
          .map((g) => `SELECT count_amt FROM ${g.table}`)
          .join(' UNION ALL ')})`,
      );
    const [day, week] = [await maxCount('24h'), await maxCount('7d')];
    engine.close();
    // The 7-day windows hold more transactions than any 24-hour one (the first group): their maximum wins.
    expect(week).toBeGreaterThan(day);
    expect(maxima[0]).toBe(week);
    expect(maxima[1]).toBeGreaterThan(0);
    expect(maxima[2]).toBeGreaterThanOrEqual(168);
  });
});

describe('window tables on inputs DuckDB reads in parallel', () => {
  it('hold their rows in the same order in every run (the detectors sample by row position)', async () => {
    const dir = tempDir('centinela-windows-order-');
    const file = join(dir, 'ledger.parquet');
    await generateLedger({ users: 1_500, days: 100, out: file, seed: 3 });
    const orders: string[] = [];
    for (let run = 0; run < 3; run++) {
      const engine = await openEngine({ threads: 2 });
      await loadFiles(engine.connection, file, DEFAULT_COLUMNS);
      const groups = await buildWindows(engine.connection, parseWindows('24h'));
      expect(groups[0]?.n).toBeGreaterThan(200_000);
      const hashes = groups.map((g) => `(SELECT md5(string_agg(tx_id, ',' ORDER BY rowid)) FROM ${g.table})`);
      const reader = await engine.connection.runAndReadAll(`SELECT ${hashes.join(', ')}`);
      orders.push(JSON.stringify(reader.getRows()[0]));
      engine.close();
    }
    expect(new Set(orders).size).toBe(1);
  }, 60_000);
});
