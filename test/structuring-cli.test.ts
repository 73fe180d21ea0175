import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal, openEngine, queryNumber } from '../src/structuring/duckdb.js';
import { openStore } from '../src/store/database.js';
import { cli, CLI_ENV, cliWith, tempDir } from './helpers.js';
import { expectFullReport, storeTransactions, type StoredTx } from './structuring-fixtures.js';

const dir = tempDir('centinela-structuring-cli-');
const db = join(dir, 'c.db');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Counts rows of a CSV or Parquet file with DuckDB. */
async function count(sql: string): Promise<number> {
  const engine = await openEngine({ threads: 1 });
  try {
    return await queryNumber(engine.connection, sql);
  } finally {
    engine.close();
  }
}

describe('centinela simulate-ledger and structuring', () => {
  let ledger: { rows: number; structuring_rows: number; episodes: number };
  beforeAll(async () => {
    const made = cli(
      'simulate-ledger',
      '--users',
      '150',
      '--days',
      '14',
      '--seed',
      '4',
      '--out',
      join(dir, 'ledger.parquet'),
      '--json',
    );
    expect(made.status, made.stderr).toBe(0);
    ledger = made.json();
    // The same ledger as two CSV files with other column names, for a glob and --map.
    const engine = await openEngine({ threads: 1 });
    const renamed = `SELECT _id, user_id AS cust, merchant_id, transaction_date AS ts, transaction_amount AS value,
        is_structuring FROM read_parquet(${literal(join(dir, 'ledger.parquet'))})`;
    await engine.connection.run(
      `COPY (${renamed} WHERE _id % 2 = 0) TO ${literal(join(dir, 'part-1.csv'))} (FORMAT CSV, HEADER)`,
    );
    await engine.connection.run(
      `COPY (${renamed} WHERE _id % 2 = 1) TO ${literal(join(dir, 'part-2.csv'))} (FORMAT CSV, HEADER)`,
    );
    engine.close();
  });

  it('simulate-ledger refuses bad numbers, dates and outputs before writing anything', () => {
    const out = join(dir, 'refused.parquet');
    const cases: [string[], string][] = [
      [['--users', 'abc'], '--users'],
      [['--users', '-5'], '--users'],
      [['--days', '0'], '--days'],
      [['--seed', '1.5'], '--seed'],
      [['--start', '2025-02-30'], '--start'],
    ];
    for (const [flags, named] of cases) {
      const result = cli('simulate-ledger', '--out', out, ...flags, '--json');
      expect(result.status, flags.join(' ')).toBe(1);
      expect(result.json().error, flags.join(' ')).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(result.json().error.message).toContain(named);
    }
    expect(cli('simulate-ledger', '--out', join(dir, 'ledger.json')).stderr).toContain(
      'must end in .parquet, .pq or .csv',
    );
    expect(existsSync(out)).toBe(false);
  });

  it('simulate-ledger writes the default columns with labelled episodes and look-alikes', async () => {
    expect(ledger.rows).toBeGreaterThan(2000);
    expect(ledger.episodes).toBeGreaterThan(0);
    expect(ledger.structuring_rows).toBeGreaterThan(ledger.episodes * 4);
    const file = literal(join(dir, 'ledger.parquet'));
    const engine = await openEngine({ threads: 1 });
    const columns = (await engine.connection.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet(${file})`))
      .getRows()
      .map((r) => String(r[0]));
    engine.close();
    expect(columns).toEqual([
      '_id',
      'account_number',
      'user_id',
      'merchant_id',
      'subsidiary',
      'transaction_date',
      'transaction_type',
      'transaction_amount',
      'is_structuring',
    ]);
    // Look-alikes: commuters' fares (M08000x) and suppliers' payments (M085xxx), all labelled 0.
    const lookAlikes = await count(
      `SELECT count(*) FROM read_parquet(${file}) WHERE merchant_id BETWEEN 'M080000' AND 'M089999' AND is_structuring = 0`,
    );
    expect(lookAlikes).toBeGreaterThan(0);
  });

  it('structuring run: a glob, --map, three windows, chosen methods, report, CSV export, JSON', async () => {
    const res = cli(
      'structuring',
      'run',
      '--input',
      join(dir, 'part-*.csv'),
      '--map',
      'cust=user_id',
      '--map',
      'ts=timestamp',
      '--map',
      'value=amount',
      '--window',
      '24h,72h,7d',
      '--methods',
      'rules,zscore,iforest,lof,ecod',
      '--min-methods',
      '2',
      '--out',
      join(dir, 'report.html'),
      '--export',
      join(dir, 'windows.csv'),
      '--db',
      db,
      '--json',
    );
    expect(res.status, res.stderr).toBe(0);
    const summary = res.json();
    expect(summary.rows).toBe(ledger.rows);
    // One window per transaction, per scope (user; user and merchant) and per length.
    expect(summary.windows).toBe(ledger.rows * 2 * 3);
    expect(Object.keys(summary.method_counts).sort()).toEqual([
      'consensus',
      'ecod',
      'iforest',
      'lof',
      'rules',
      'zscore',
    ]);
    expect(summary.stored_alerts).toBeGreaterThan(0);
    expect(summary).toMatchObject({
      report_file: join(dir, 'report.html'),
      export_file: join(dir, 'windows.csv'),
    });
    expect(res.stderr).toMatch(/\[#+-*\] (load|windows|detect|alerts)/); // progress bars

    expectFullReport(readFileSync(join(dir, 'report.html'), 'utf8'));

    const csv = literal(join(dir, 'windows.csv'));
    expect(await count(`SELECT count(*) FROM read_csv(${csv})`)).toBe(summary.windows);
    expect(await count(`SELECT count(DISTINCT window_length) FROM read_csv(${csv})`)).toBe(3);
    expect(await count(`SELECT count(*) FROM read_csv(${csv}) WHERE lof_flag = 1`)).toBe(
      summary.method_counts.lof,
    );
    expect(await count(`SELECT count(*) FROM read_csv(${csv}) WHERE votes >= 2`)).toBe(
      summary.method_counts.consensus,
    );

    const consensus = (m: string, limit: number) =>
      cli(
        'structuring',
        'consensus',
        summary.id,
        '--min-methods',
        m,
        '--limit',
        String(limit),
        '--db',
        db,
        '--json',
      ).json();
    const two = consensus('2', 100_000);
    expect(two.items).toHaveLength(summary.method_counts.consensus);
    expect(two.items.every((w: { methods: number }) => w.methods >= 2)).toBe(true);
    // m = 1: every window flagged by any method, more than the consensus of 2.
    expect(consensus('1', two.items.length + 1).items).toHaveLength(two.items.length + 1);
  });

  it('structuring run reads Parquet too, and refuses to run without a source', () => {
    const res = cli(
      'structuring',
      'run',
      '--input',
      join(dir, 'ledger.parquet'),
      '--methods',
      'rules',
      '--db',
      db,
      '--json',
    );
    expect(res.status, res.stderr).toBe(0);
    expect(res.json().rows).toBe(ledger.rows);
    const none = cli('structuring', 'run', '--db', db);
    expect(none.status).toBe(1);
    expect(none.stderr).toMatch(/--input FILES, or --stored/);
    const both = cli('structuring', 'run', '--input', 'x.csv', '--stored', '--db', db);
    expect(both.status).toBe(1);
  });

  it('structuring run reads timestamps as UTC whatever the host time zone, applying offsets', () => {
    const input = join(dir, 'offsets.csv');
    writeFileSync(
      input,
      '_id,user_id,merchant_id,transaction_date,transaction_amount\n' +
        'a,u1,m1,2025-01-01T10:00:00-05:00,10\nb,u1,m1,2025-01-01 16:00:00,20\n',
    );
    const windowEnds = (tz: string) => {
      const out = join(dir, `offsets-${tz.replace('/', '-')}.csv`);
      const run = ['structuring', 'run', '--methods', 'rules', '--db', db];
      const res = cliWith({ TZ: tz }, ...run, '--input', input, '--export', out);
      expect(res.status, res.stderr).toBe(0);
      const lines = readFileSync(out, 'utf8').trim().split('\n').slice(1);
      return lines.filter((l) => l.startsWith('user,')).map((l) => l.split(',')[6]);
    };
    const utc = ['2025-01-01 15:00:00', '2025-01-01 16:00:00'];
    expect(windowEnds('UTC')).toEqual(utc);
    expect(windowEnds('Asia/Tokyo')).toEqual(utc); // was 2025-01-02 00:00 and 2025-01-01 16:00
  });

  it('structuring run refuses an --export or --out that is one of its input files, before running', () => {
    const input = join(dir, 'self.csv');
    const content =
      '_id,user_id,merchant_id,transaction_date,transaction_amount\na,u1,m1,2025-01-01 10:00:00,10\n';
    writeFileSync(input, content);
    for (const flag of ['--export', '--out']) {
      const res = cli('structuring', 'run', '--input', join(dir, 'self*.csv'), flag, input, '--db', db);
      expect(res.status).toBe(1);
      expect(res.stderr).toContain(`${flag} ${input} is one of the input files`);
      expect(readFileSync(input, 'utf8')).toBe(content);
    }
  });

  it('structuring run refuses unreadable files with a stable code, quoting nothing from them', () => {
    const bad = join(dir, 'bad.parquet');
    writeFileSync(bad, randomBytes(300));
    const parquet = cli('structuring', 'run', '--input', bad, '--db', db);
    expect(parquet.status).toBe(1);
    expect(parquet.stderr).toContain(`INPUT_INVALID: Cannot read '${bad}': not a Parquet file`);
    const secret = join(dir, 'secret.csv');
    writeFileSync(secret, 'user_id,transaction_date,transaction_amount\nu1,2026-01-01,SECRET-LINE-CONTENT\n');
    const csv = cli('structuring', 'run', '--input', secret, '--db', db);
    expect(csv.status).toBe(1);
    expect(csv.stderr).toContain('INPUT_INVALID');
    expect(csv.stderr).toContain('column transaction_amount');
    expect(csv.stderr).not.toContain('SECRET');
    const nul = join(dir, 'nul.csv');
    writeFileSync(
      nul,
      'user_id,merchant_id,transaction_date,transaction_amount\nu1,m\u0000SECRET,2026-01-01,5\n',
    );
    const withNul = cli('structuring', 'run', '--input', nul, '--db', db);
    expect(withNul.status).toBe(1);
    expect(withNul.stderr).toContain(
      `INPUT_INVALID: Cannot read '${nul}': column merchant_id: a value holds a NUL character (U+0000)`,
    );
    expect(withNul.stderr).not.toContain('SECRET');
    const missing = cli('structuring', 'run', '--input', join(dir, 'none-*.csv'), '--db', db);
    expect(missing.stderr).toContain('INPUT_NOT_FOUND: No file matches');
  });

  it('structuring run --stored reads a range of stored transactions; schedule --once continues from no file run', async () => {
    // Stored transactions in December 2024, before the ledger files above: a steady
    // background and one account paying the same shop 8 times within an hour each evening.
    const T0 = Date.UTC(2024, 11, 1);
    const HOUR = 3_600_000;
    const rows: StoredTx[] = [];
    for (let h = 0; h < 72; h++) {
      for (let u = 0; u < 10; u++)
        if ((h + u) % 4 === 0)
          rows.push({
            id: `b-${h}-${u}`,
            account: `u${u}`,
            merchant: `m${u % 3}`,
            ms: T0 + h * HOUR,
            amount: 30 + u,
          });
      if (h % 24 === 20)
        for (let k = 0; k < 8; k++)
          rows.push({
            id: `s-${h}-${k}`,
            account: 'smurf',
            merchant: 'shop',
            ms: T0 + h * HOUR + k * 420_000,
            amount: 1950 + k,
          });
    }
    const rulesAndZscore = ['--methods', 'rules,zscore', '--min-methods', '2', '--db', db, '--json'];
    const store = openStore({ url: db });
    await storeTransactions(store.db, rows, 1);
    await store.close();

    const inRange = rows.filter((r) => r.ms < T0 + 48 * HOUR).length;
    const stored = cli(
      'structuring',
      'run',
      '--stored',
      '--from',
      new Date(T0).toISOString(),
      '--to',
      new Date(T0 + 48 * HOUR - 1).toISOString(),
      ...rulesAndZscore,
    );
    expect(stored.status, stored.stderr).toBe(0);
    const summary = stored.json();
    expect(summary).toMatchObject({ rows: inRange, windows: inRange * 2 });
    const consensus = cli('structuring', 'consensus', summary.id, '--db', db, '--json').json();
    expect(consensus.items.length).toBeGreaterThan(0);
    expect(consensus.items.every((w: { user_id: string }) => w.user_id === 'smurf')).toBe(true);

    // Neither the file runs (January 2025) nor the ad-hoc range hide these transactions from the schedule.
    const batch = cli('structuring', 'schedule', '--once', ...rulesAndZscore);
    expect(batch.status, batch.stderr).toBe(0);
    expect(batch.json()).toMatchObject({ rows: rows.length, covered_to: Math.max(...rows.map((r) => r.ms)) });
    const again = cli('structuring', 'schedule', '--once', '--db', db, '--json');
    expect(again.json()).toEqual({ status: 'no new transactions', at: expect.any(String) });

    // Every interval prints one JSON line (JSON Lines), until a signal stops it.
    const loop = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/main.ts',
        'structuring',
        'schedule',
        '--every',
        '1s',
        '--db',
        db,
        '--json',
      ],
      { env: CLI_ENV },
    );
    let output = '';
    loop.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    for (let i = 0; i < 300 && output.split('\n').length < 3; i++)
      await new Promise((r) => setTimeout(r, 100));
    loop.kill('SIGTERM');
    expect(await new Promise((resolve) => loop.on('exit', resolve))).toBe(0);
    const lines = output.trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines)
      expect(JSON.parse(line), line).toEqual({ status: 'no new transactions', at: expect.any(String) });
  }, 60_000);
});
