import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate, openStore, type Database } from '../store/database.js';
import { AlertWriter } from './alerts.js';
import { alertValues, type NewAlertRow } from './structuring.repository.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store whose transactions fail `failAfterMs` after they start. */
function failingStore(failAfterMs: number): Kysely<Database> {
  const db = {
    transaction: () => ({
      execute: async () => {
        await sleep(failAfterMs);
        throw new Error('store down');
      },
    }),
  };
  return db as unknown as Kysely<Database>;
}

/** Alert `i` of a run, with distinct keys unless `key` repeats them. */
const alert = (i: number, key = `k${i}`): NewAlertRow => ({
  alert_key: key,
  run_id: 'run-1',
  method: 'rules',
  scope: 'user',
  window_length: '24h',
  user_id: `u${i}`,
  merchant_id: null,
  transaction_id: `t${i}`,
  score: i,
  votes: 1,
  window_start: 1_000 * i,
  window_end: 1_000 * i + 500,
  count_amt: i,
  sum_amt: 10 * i,
  mean_amt: 10,
  std_amt: null,
  delta: null,
  mean_delta: null,
  std_delta: null,
  label: null,
});

/** Flat values of alerts from … from + n − 1, as the writer takes them. */
const rows = (from: number, n: number) => alertValues(Array.from({ length: n }, (_, i) => alert(from + i)));

describe('AlertWriter', () => {
  it('stores every batch and counts what was new', async () => {
    const store = openStore({ url: ':memory:' });
    try {
      await migrate(store.db);
      const writer = new AlertWriter(store.db);
      await writer.write(rows(0, 3));
      await writer.write([...rows(3, 2), ...alertValues([alert(9, 'k0')])]);
      expect(await writer.finish()).toBe(5);
      const stored = await store.db.selectFrom('structuring_alerts').select('alert_key').execute();
      expect(stored.map((r) => r.alert_key).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4']);
    } finally {
      await store.close();
    }
  });

  it('reports a batch that fails while the caller is busy elsewhere at its next call, not as an unhandled rejection', async () => {
    const writer = new AlertWriter(failingStore(5));
    await writer.write(rows(0, 3));
    await sleep(30); // the insert fails meanwhile (vitest fails the file on an unhandled rejection)
    await expect(writer.write(rows(3, 1))).rejects.toThrow('store down');
    await writer.settle();
  });
});
