import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { migrate, openStore, type Store } from '../src/store/database.js';
import { literal, openEngine } from '../src/structuring/duckdb.js';
import { generateLedger } from '../src/structuring/ledger.generator.js';
import { runStructuring } from '../src/structuring/run.js';
import { listAlerts, listRuns } from '../src/structuring/structuring.repository.js';
import { runParamsOf } from '../src/structuring/structuring.js';
import { tempDir } from './helpers.js';

/** Put in generated cells: a stored or thrown message must never contain it. */
const MARKER = 'ZQXMARK';
const HEADER = ['user_id', 'merchant_id', 'transaction_date', 'transaction_amount'];

const dir = tempDir('centinela-fuzz-structuring-');
let store: Store;
let file = 0;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
beforeAll(async () => {
  store = openStore({ url: join(dir, 'c.db') });
  await migrate(store.db);
  process.on('unhandledRejection', onUnhandled);
});
afterAll(async () => {
  process.off('unhandledRejection', onUnhandled);
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Messages of the AppErrors {@link run} saw, newest last. */
const messages: string[] = [];

/**
 * Runs structuring over `content` written as a file: 'ok', the AppError code, or
 * 'unexpected …'. Any message that quotes the marker is 'unexpected' too.
 */
async function run(content: Buffer | string, extension: string): Promise<string> {
  const input = join(dir, `input-${file++}.${extension}`);
  writeFileSync(input, content);
  try {
    await runStructuring({
      db: store.db,
      source: { kind: 'files', input },
      params: runParamsOf({ methods: ['rules', 'zscore'] }),
      workers: 0,
      memoryLimit: '256MB',
    });
    return 'ok';
  } catch (error) {
    const message = (error as Error).message;
    if (message.includes(MARKER)) return `unexpected: quotes the file: ${message.slice(0, 200)}`;
    messages.push(message);
    return error instanceof AppError
      ? error.code
      : `unexpected ${(error as Error).constructor.name}: ${message.slice(0, 200)}`;
  }
}

/** What the store holds after the runs: nothing `running`, failed runs without alerts or file contents. */
async function storeProblems(): Promise<string[]> {
  const runs = await listRuns(store.db, { limit: 100_000, offset: 0 });
  const problems: string[] = [];
  for (const r of runs) {
    if (r.status === 'running') problems.push(`run ${r.id} left running`);
    if (r.status !== 'failed') continue;
    if (!/^INPUT_(INVALID|NOT_FOUND): /.test(r.error ?? '')) problems.push(`run ${r.id}: error ${r.error}`);
    if (r.error?.includes(MARKER)) problems.push(`run ${r.id} quotes the file: ${r.error}`);
    const alerts = await listAlerts(store.db, { runId: r.id, limit: 1, offset: 0 });
    if (alerts.length > 0) problems.push(`failed run ${r.id} kept alerts`);
  }
  return problems;
}

/** Checks a batch of outcomes: none unexpected, no unhandled rejection, a clean store. */
async function expectClean(outcomes: readonly string[]): Promise<void> {
  expect(outcomes.filter((o) => o.startsWith('unexpected'))).toEqual([]);
  expect(outcomes.every((o) => ['ok', 'INPUT_INVALID', 'INPUT_NOT_FOUND'].includes(o))).toBe(true);
  expect(unhandled).toEqual([]);
  expect(await storeProblems()).toEqual([]);
}

const cell = fc.oneof(
  fc.string({ maxLength: 8 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom('', '"', '""', '"a,b"', 'true', 'null', '2026-01-01', '2026-13-45', '1e400', '\\N', MARKER),
  fc.string({ maxLength: 4 }).map((s) => `${MARKER}${s}`),
);
/** Rows under the ledger header (some cells of the wrong type), or bare text. */
const csvText = fc.oneof(
  fc
    .array(fc.array(cell, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 8 })
    .map((rows) => [HEADER, ...rows].map((r) => r.join(',')).join('\n')),
  fc
    .array(fc.tuple(fc.nat(5), fc.date({ noInvalidDate: true }), fc.oneof(fc.double(), cell)), {
      minLength: 1,
      maxLength: 12,
    })
    .map((rows) =>
      [HEADER.join(','), ...rows.map(([u, d, a]) => `u${u},m1,${d.toISOString()},${String(a)}`)].join('\n'),
    ),
  fc.string({ maxLength: 80 }),
);
/** The text in odd encodings: UTF-16 with a BOM, Latin-1, a UTF-8 BOM, NUL bytes, raw bytes. */
const encoded = fc
  .tuple(csvText, fc.constantFrom('utf16', 'latin1', 'bom', 'nul', 'bytes'))
  .map(([text, how]) => {
    if (how === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    if (how === 'latin1') return Buffer.from(`${text}\né,\xff,${MARKER}\xe9`, 'latin1');
    if (how === 'bom') return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]);
    if (how === 'nul') return Buffer.from(text.replace(/,/g, '\0'));
    return Buffer.from(text.split('').map((c) => c.charCodeAt(0) & 0xff));
  });

/** Truncations, byte flips and noise over a valid ledger Parquet file. */
function corrupted(bytes: Buffer) {
  return fc.oneof(
    fc.integer({ min: 0, max: bytes.length - 1 }).map((n) => bytes.subarray(0, n)),
    fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 }).map((flips) => {
      const copy = Buffer.from(bytes);
      for (const [at, value] of flips) copy[at] = value;
      return copy;
    }),
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  );
}

/** SQL values of a column of the wrong (or right) type, for Parquet files DuckDB writes. */
const columnSql = fc.constantFrom(
  `'${MARKER}' || range`,
  'range',
  'range * 1.5',
  'range % 2 = 0',
  "DATE '2026-01-01' + range::INTEGER",
  "TIMESTAMP '2026-01-01' + to_hours(range)",
  'NULL',
  '[range, range]',
  "{'a': range}",
  `'${MARKER}'::BLOB`,
  '1e300',
  '-9e18',
);

/** Writes each generated content (`prepare` makes it) as a file and runs it; answers the outcomes. */
async function fuzz<T>(
  arbitrary: fc.Arbitrary<T>,
  extension: string,
  seed: number,
  prepare: (value: T) => Promise<Buffer | string> = (value) => Promise.resolve(value as Buffer | string),
): Promise<string[]> {
  const outcomes: string[] = [];
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      outcomes.push(await run(await prepare(value), extension));
    }),
    { numRuns: 30, seed },
  );
  return outcomes;
}

/** A Parquet file DuckDB writes with these SQL values as the ledger columns. */
async function typedParquet([user, date, amount]: [string, string, string]): Promise<Buffer> {
  const path = join(dir, `typed-${file++}.parquet`);
  const engine = await openEngine({ threads: 1 });
  await engine.connection.run(`COPY (SELECT ${user} AS user_id, ${date} AS transaction_date,
      ${amount} AS transaction_amount FROM range(20)) TO ${literal(path)} (FORMAT parquet)`);
  engine.close();
  return readFileSync(path);
}

describe('structuring reader, fuzzed (CSV and Parquet into a stored run)', () => {
  it('runs any CSV text, or fails it with INPUT_INVALID: no crash, nothing half-written', async () => {
    await expectClean(await fuzz(csvText, 'csv', 20_260_301));
  }, 120_000);

  it('survives odd encodings and random bytes named .csv', async () => {
    await expectClean(await fuzz(encoded, 'csv', 20_260_302));
  }, 120_000);

  it('survives truncated, flipped and random Parquet files', async () => {
    const valid = join(dir, 'ledger.parquet');
    await generateLedger({ users: 4, days: 2, out: valid, seed: 1 });
    const bytes = readFileSync(valid);
    expect(await run(bytes, 'parquet')).toBe('ok');
    const outcomes = await fuzz(corrupted(bytes), 'parquet', 20_260_303);
    expect(outcomes.some((o) => o === 'INPUT_INVALID')).toBe(true);
    await expectClean(outcomes);
  }, 120_000);

  it('refuses Parquet columns of the wrong type with INPUT_INVALID naming the column', async () => {
    messages.length = 0;
    const columns = fc.tuple(columnSql, columnSql, columnSql);
    await expectClean(await fuzz(columns, 'parquet', 20_260_304, typedParquet));
    expect(messages.length).toBeGreaterThan(5);
    expect(messages.filter((m) => !/column|out of range/.test(m))).toEqual([]);
  }, 120_000);
});
