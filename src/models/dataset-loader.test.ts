import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { loadDataset, parseMappings } from './dataset-loader.js';

const dir = mkdtempSync(join(tmpdir(), 'centinela-dataset-'));
const csv = join(dir, 'history.csv');
const parquet = join(dir, 'history.parquet');

beforeAll(async () => {
  writeFileSync(
    csv,
    [
      'tx,amt,merchant_type,hour,fraud,seen_at',
      't1,120.5,online,3,1,2026-01-01 03:00:00',
      't2,15,retail,,0,2026-01-01 12:00:00',
      't3,990,,23,0,2026-01-02 23:10:00',
    ].join('\n'),
  );
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  await connection.run(`COPY (SELECT * FROM (VALUES
      ('p1', 10.0, 'travel', true, 7::BIGINT),
      ('p2', 2500.0, NULL, false, 8::BIGINT)
    ) AS t(tx, amount, merchant_type, is_fraud, n)) TO '${parquet}' (FORMAT parquet)`);
  connection.closeSync();
  instance.closeSync();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function failureOf(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('loadDataset', () => {
  it('reads a CSV with renames and a named label: numbers as numbers, text as text, null when missing, times left out', async () => {
    const data = await loadDataset({ inputs: [csv], map: { amt: 'amount' }, label: 'fraud' });
    expect(data.labelField).toBe('fraud');
    expect(data.fields).toEqual(['tx', 'amount', 'merchant_type', 'hour', 'fraud']);
    expect(data.records).toEqual([
      { tx: 't1', amount: 120.5, merchant_type: 'online', hour: 3, fraud: 1 },
      { tx: 't2', amount: 15, merchant_type: 'retail', hour: null, fraud: 0 },
      { tx: 't3', amount: 990, merchant_type: null, hour: 23, fraud: 0 },
    ]);
  });

  it('leaves out Parquet time, nested and binary columns, which are never model inputs', async () => {
    const typed = join(mkdtempSync(join(dir, 'typed-')), 'typed.parquet'); // out of the *.parquet glob
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    await connection.run(`COPY (SELECT 1.5 AS amount, TIMESTAMP '2026-01-01 10:00:00' AS ts, DATE '2026-01-01' AS day,
      [1, 2] AS tags, {'a': 1} AS meta, 'x'::BLOB AS raw, 'web' AS channel, 0 AS is_fraud) TO '${typed}' (FORMAT parquet)`);
    connection.closeSync();
    instance.closeSync();
    // Before, ts, day, tags and meta were read as text, a category each (few values).
    const data = await loadDataset({ inputs: [typed] });
    expect(data.records).toEqual([{ amount: 1.5, channel: 'web', is_fraud: 0 }]);
    expect(data.fields).toEqual(['amount', 'channel', 'is_fraud']); // evaluate refuses a model reading ts
  });

  it('leaves out the columns --exclude names, by input or mapped name; never the label, never one not in the data', async () => {
    const data = await loadDataset({
      inputs: [csv],
      map: { amt: 'amount' },
      label: 'fraud',
      exclude: ['tx', 'amount'],
    });
    expect(data.fields).toEqual(['merchant_type', 'hour', 'fraud']);
    expect(data.records[0]).toEqual({ merchant_type: 'online', hour: 3, fraud: 1 });
    const unknown = await failureOf(loadDataset({ inputs: [csv], label: 'fraud', exclude: ['tx', 'nope'] }));
    expect([unknown.code, unknown.message]).toEqual([
      'INPUT_INVALID',
      '--exclude names columns that are not in the data: nope.',
    ]);
    const label = await failureOf(
      loadDataset({ inputs: [csv], map: { fraud: 'is_fraud' }, exclude: ['fraud'] }),
    );
    expect(label.message).toContain("--exclude names the label column 'is_fraud'");
  });

  it('accepts the label by its mapped name', async () => {
    const data = await loadDataset({ inputs: [csv], map: { fraud: 'is_fraud' } });
    expect(data.labelField).toBe('is_fraud');
    expect(data.records.map((r) => r.is_fraud)).toEqual([1, 0, 0]);
  });

  it('reads Parquet (booleans as 0/1, BIGINT as numbers) and globs over several files', async () => {
    const data = await loadDataset({ inputs: [parquet] });
    expect(data.records).toEqual([
      { tx: 'p1', amount: 10, merchant_type: 'travel', is_fraud: 1, n: 7 },
      { tx: 'p2', amount: 2500, merchant_type: null, is_fraud: 0, n: 8 },
    ]);
    const both = await loadDataset({ inputs: [join(dir, '*.parquet'), csv], map: { fraud: 'is_fraud' } });
    expect(both.records).toHaveLength(5);
  });

  it('fails with INPUT_INVALID for a file of column names and no rows', async () => {
    const headerOnly = join(dir, 'header-only.csv');
    writeFileSync(headerOnly, 'amount,is_fraud\n');
    await expect(loadDataset({ inputs: [headerOnly] })).rejects.toMatchObject({
      code: 'INPUT_INVALID',
      message: 'The data holds no rows.',
    });
  });

  it('says an empty file is empty, not that it lacks the label', async () => {
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    const error = await failureOf(loadDataset({ inputs: [empty] }));
    expect(error.message).toBe(
      "The data has no label column 'is_fraud' (the data is empty or has no header row).",
    );
  });

  it('fails with INPUT_NOT_FOUND for a file or glob that matches nothing', async () => {
    const error = await failureOf(loadDataset({ inputs: [join(dir, 'nope.csv')] }));
    expect(error.code).toBe('INPUT_NOT_FOUND');
    expect(error.message).toContain('nope.csv');
  });

  it('says what is wrong with a file it cannot read, never quoting the SQL that read it', async () => {
    const fake = join(dir, 'really-csv.parquet');
    writeFileSync(fake, 'amount,is_fraud\n1,0\n');
    const error = await failureOf(loadDataset({ inputs: [fake] }));
    expect(error).toMatchObject({ code: 'INPUT_INVALID' });
    expect(error.message).toContain(fake);
    expect(error.message).toMatch(/not a Parquet file/);
    expect(error.message).not.toMatch(/SELECT|LINE 1/);
  });

  it('fails with INPUT_INVALID, naming the columns, when the label or a renamed column is absent', async () => {
    const label = await failureOf(loadDataset({ inputs: [csv] }));
    expect(label.code).toBe('INPUT_INVALID');
    expect(label.message).toContain("no label column 'is_fraud'");
    expect(label.details).toMatchObject({ columns: expect.arrayContaining(['fraud', 'amt']) });
    const mapped = await failureOf(
      loadDataset({ inputs: [csv], map: { amount_x: 'amount' }, label: 'fraud' }),
    );
    expect(mapped.code).toBe('INPUT_INVALID');
    expect(mapped.message).toContain('amount_x');
  });
});

describe('parseMappings', () => {
  it('reads column=field pairs and rejects anything else', () => {
    expect(parseMappings(['amt=amount', ' fraud = is_fraud '])).toEqual({ amt: 'amount', fraud: 'is_fraud' });
    expect(parseMappings(['amt=amount,fraud=is_fraud'])).toEqual({ amt: 'amount', fraud: 'is_fraud' });
    expect(() => parseMappings(['amount'])).toThrow(/column=field/);
  });
});
