import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { migrate, openStore, type Store } from '../store/database.js';
import { generateLedger } from './ledger.generator.js';
import { runStructuring } from './run.js';
import { runParamsOf } from './structuring.js';
import type * as Detectors from './detectors/index.js';

// Counts the detector runs of this thread (the service's event loop); worker threads load
// the detectors on their own, unmocked.
const inThisThread = vi.hoisted(() => ({ runs: 0 }));
vi.mock('./detectors/index.js', async (importOriginal) => {
  const actual = await importOriginal<typeof Detectors>();
  return {
    ...actual,
    runDetector: (...args: Parameters<typeof actual.runDetector>) => {
      inThisThread.runs++;
      return actual.runDetector(...args);
    },
  };
});

describe('a background structuring run (the API’s)', () => {
  let store: Store;
  let input: string;
  beforeAll(async () => {
    const dir = tempDir('centinela-background-run-');
    store = openStore({ url: join(dir, 'c.db') });
    await migrate(store.db);
    input = join(dir, 'ledger.parquet');
    await generateLedger({ users: 60, days: 7, out: input, seed: 5 });
  });
  afterAll(() => store.close());

  it('runs no detector on the event loop, where the CLI runs small groups', async () => {
    const run = (background: boolean) =>
      runStructuring({
        db: store.db,
        source: { kind: 'files', input },
        params: runParamsOf({}),
        background,
      });
    const foreground = await run(false);
    expect(inThisThread.runs).toBeGreaterThan(0);
    inThisThread.runs = 0;
    const background = await run(true);
    expect(inThisThread.runs).toBe(0);
    expect(background.method_counts).toEqual(foreground.method_counts);
    expect(Object.values(background.method_counts).some((n) => n > 0)).toBe(true);
  });
});
