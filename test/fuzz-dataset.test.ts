import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../src/errors.js';
import { loadDataset } from '../src/models/dataset-loader.js';
import { openEngine } from '../src/structuring/duckdb.js';
import { tempDir } from './helpers.js';

const dir = tempDir('centinela-fuzz-data-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let file = 0;

/** Loads `content` as a data file; answers 'ok', the AppError code, or the unexpected error. */
async function load(content: Buffer | string, extension: string): Promise<string> {
  const path = join(dir, `input-${file++}.${extension}`);
  writeFileSync(path, content);
  try {
    await loadDataset({ inputs: [path] });
    return 'ok';
  } catch (error) {
    return error instanceof AppError
      ? error.code
      : `unexpected ${(error as Error).constructor.name}: ${(error as Error).message.slice(0, 120)}`;
  }
}

const cell = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.constantFrom('', '"', '""', '"a,b"', 'true', 'null', '2026-01-01', '1e400', '\\N'),
);
const csv = fc.oneof(
  fc
    .array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 })
    .map((rows) => rows.map((r) => r.join(',')).join('\n')),
  fc
    .tuple(
      fc.array(cell, { minLength: 2, maxLength: 4 }),
      fc.array(fc.tuple(fc.double(), fc.integer({ min: 0, max: 1 })), { maxLength: 5 }),
    )
    .map(([header, rows]) =>
      [['amount', 'is_fraud', ...header].join(','), ...rows.map(([a, l]) => `${a},${l}`)].join('\n'),
    ),
  fc.string({ maxLength: 60 }),
);

describe('CSV/Parquet dataset reader, fuzzed', () => {
  it('reads any CSV text or refuses it with a stable code, never an unexpected error', async () => {
    const unexpected: string[] = [];
    await fc.assert(
      fc.asyncProperty(csv, async (text) => {
        const outcome = await load(text, 'csv');
        if (outcome.startsWith('unexpected')) unexpected.push(`${JSON.stringify(text)} → ${outcome}`);
      }),
      { numRuns: 40 },
    );
    expect(unexpected).toEqual([]);
  }, 60_000);

  /** Truncations, byte flips and noise over a valid Parquet file (fixed seed: reproducible). */
  async function corruptParquet(): Promise<string[]> {
    const valid = join(dir, 'valid.parquet');
    const engine = await openEngine({ threads: 1 });
    await engine.connection.run(
      `COPY (SELECT range AS amount, range % 2 AS is_fraud FROM range(50)) TO '${valid}' (FORMAT parquet)`,
    );
    engine.close();
    const bytes = readFileSync(valid);
    expect(await load(bytes, 'parquet')).toBe('ok');
    const outcomes: string[] = [];
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: 0, max: bytes.length - 1 }).map((n) => bytes.subarray(0, n)),
          fc
            .array(fc.tuple(fc.nat(bytes.length - 1), fc.nat(255)), { minLength: 1, maxLength: 8 })
            .map((flips) => {
              const copy = Buffer.from(bytes);
              for (const [at, value] of flips) copy[at] = value;
              return copy;
            }),
          fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
        ),
        async (content) => {
          outcomes.push(await load(content, 'parquet'));
        },
      ),
      { numRuns: 30, seed: 20_261_125 },
    );
    return outcomes;
  }

  it('survives corrupted Parquet files: every one is read or refused, the process stays up', async () => {
    const outcomes = await corruptParquet();
    expect(outcomes).toHaveLength(30);
    expect(outcomes.some((o) => o !== 'ok')).toBe(true);
  }, 60_000);

  it('refuses corrupted Parquet files with a stable code (INPUT_INVALID)', async () => {
    const outcomes = await corruptParquet();
    expect(outcomes.filter((o) => o.startsWith('unexpected'))).toEqual([]);
  }, 60_000);
});
