import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { storeTransactions } from '../../test/structuring-fixtures.js';
import { migrate, openStore, type Store } from '../store/database.js';
import type { RunSummary } from './run.js';
import { parseEvery, runMicroBatch, scheduleMicroBatches } from './schedule.js';
import { findRun, insertAlerts, insertRun, listAlerts } from './structuring.repository.js';
import { runParamsOf } from './structuring.js';

const T0 = Date.UTC(2025, 2, 1);
const HOUR = 3_600_000;
let seq = 0;

/** Stores transactions directly: a steady background plus one burst of split payments. */
async function storeHours(store: Store, fromHour: number, toHour: number): Promise<void> {
  const rows = [];
  for (let h = fromHour; h < toHour; h++) {
    for (let u = 0; u < 12; u++) {
      if ((h + u) % 5 !== 0) continue;
      rows.push({
        account: `u${u}`,
        merchant: `m${u % 3}`,
        ms: T0 + h * HOUR + u * 60_000,
        amount: 20 + ((h * 7 + u) % 50),
      });
    }
    if (h % 24 === 20)
      for (let k = 0; k < 8; k++)
        rows.push({ account: 'smurf', merchant: 'm9', ms: T0 + h * HOUR + k * 300_000, amount: 1900 + k });
  }
  await storeTransactions(
    store.db,
    rows.map((r, i) => ({ ...r, id: `tx-${seq + i + 1}` })),
    seq + 1,
  );
  seq += rows.length;
}

describe('micro-batches over stored transactions', () => {
  let store: Store;
  const params = runParamsOf({ methods: 'rules,zscore,iforest,ecod', minMethods: 2 });
  beforeAll(async () => {
    store = openStore({ url: join(tempDir('centinela-schedule-'), 'c.db') });
    await migrate(store.db);
  });
  afterAll(() => store.close());

  it('adds each batch’s alerts once, never re-storing windows of earlier batches', async () => {
    await storeHours(store, 0, 72);
    const first = await runMicroBatch({ db: store.db, params, workers: 0 });
    expect(first?.stored_alerts).toBeGreaterThan(0);
    expect(first?.covered_to).toBeGreaterThan(T0 + 71 * HOUR);
    expect(await runMicroBatch({ db: store.db, params, workers: 0 })).toBeNull();

    await storeHours(store, 72, 96);
    const second = await runMicroBatch({ db: store.db, params, workers: 0, lookbackHours: 24 });
    expect(second?.rows).toBeLessThan(seq); // only the new hours plus the lookback
    const secondAlerts = await listAlerts(store.db, { runId: second!.id, limit: 100_000 });
    expect(secondAlerts.length).toBe(second!.stored_alerts);
    expect(secondAlerts.every((a) => a.window_end > first!.covered_to!)).toBe(true);
    expect(secondAlerts.some((a) => a.user_id === 'smurf' && a.method === 'consensus')).toBe(true);

    const all = await listAlerts(store.db, { limit: 1_000_000 });
    const windows = all.map(
      (a) => `${a.method}|${a.scope}|${a.window_length}|${a.user_id}|${a.merchant_id}|${a.window_end}`,
    );
    expect(new Set(windows).size).toBe(all.length);
  });

  it('skips an alert whose window and method are already stored', async () => {
    const [one] = await listAlerts(store.db, { limit: 1 });
    expect(await insertAlerts(store.db, [{ ...one!, run_id: 'again' }])).toBe(0);
  });

  it('schedule: a batch at once, then one per interval until aborted, each with new windows only', async () => {
    await storeHours(store, 96, 120);
    const controller = new AbortController();
    const batches: (RunSummary | null)[] = [];
    const errors: unknown[] = [];
    await scheduleMicroBatches({
      db: store.db,
      params,
      workers: 0,
      everyMs: 1000,
      signal: controller.signal,
      onBatch: (summary) => {
        batches.push(summary);
        if (batches.length === 2) controller.abort();
      },
      onError: (error) => errors.push(error),
    });
    expect(errors).toEqual([]);
    expect(batches[0]?.covered_to).toBe(T0 + 119 * HOUR + 11 * 60_000);
    expect(batches[0]?.stored_alerts).toBeGreaterThan(0);
    expect(batches[1]).toBeNull(); // nothing arrived in between
  });

  it('parses intervals, from 1 s to 366 days', () => {
    expect(parseEvery('1h')).toBe(HOUR);
    expect(parseEvery('15m')).toBe(15 * 60_000);
    expect(parseEvery('366d')).toBe(366 * 24 * HOUR);
    for (const bad of ['hourly', '0.5s', '367d', '999999999999d'])
      expect(() => parseEvery(bad), bad).toThrow(/interval/);
  });

  it('waits an interval longer than a Node timer holds (25 days) instead of running batches back to back', async () => {
    const controller = new AbortController();
    const batches: unknown[] = [];
    const done = scheduleMicroBatches({
      db: store.db,
      params,
      workers: 0,
      everyMs: 25 * 24 * HOUR,
      signal: controller.signal,
      onBatch: (summary) => batches.push(summary),
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    controller.abort();
    await done;
    expect(batches).toHaveLength(1);
  });
});

describe('micro-batches follow arrivals, not event times', () => {
  const MINUTE = 60_000;
  const params = runParamsOf({ methods: 'rules', minMethods: 1 });
  let store: Store;
  beforeEach(async () => {
    store = openStore({ url: join(tempDir('centinela-schedule-arrivals-'), 'c.db') });
    await migrate(store.db);
  });
  afterEach(() => store.close());

  /** `count` split payments of `account`, seconds apart from `ms`, stored with seq from `firstSeq`. */
  const burst = (account: string, ms: number, count: number, firstSeq: number) =>
    storeTransactions(
      store.db,
      Array.from({ length: count }, (_, k) => ({
        id: `${account}-${firstSeq + k}`,
        account,
        merchant: 'm1',
        ms: ms + k * 1000,
        amount: 9900,
      })),
      firstSeq,
    );
  const alertedUsers = async (runId: string) =>
    new Set((await listAlerts(store.db, { runId, limit: 10_000 })).map((a) => a.user_id));

  it('scores transactions that arrive after one dated in the future (the batch before covered up to it)', async () => {
    const now = Date.UTC(2025, 5, 1, 12);
    await storeTransactions(
      store.db,
      [1, 2, 3, 4, 5].map((k) => ({
        id: `n${k}`,
        account: `u${k}`,
        merchant: 'm1',
        ms: now - k * MINUTE,
        amount: 50,
      })),
      1,
    );
    await storeTransactions(
      store.db,
      [{ id: 'ahead', account: 'u9', merchant: 'm1', ms: now + 55 * MINUTE, amount: 50 }],
      6,
    );
    const first = await runMicroBatch({ db: store.db, params, workers: 0 });
    expect(first?.covered_to).toBe(now + 55 * MINUTE);

    await burst('smurf', now + 10_000, 12, 7);
    const second = await runMicroBatch({ db: store.db, params, workers: 0 });
    expect(second).not.toBeNull();
    expect(await alertedUsers(second!.id)).toContain('smurf');
    expect(JSON.parse((await findRun(store.db, second!.id))!.source)).toMatchObject({
      kind: 'store',
      toSeq: 18,
    });
    expect(await runMicroBatch({ db: store.db, params, workers: 0 })).toBeNull();
  });

  it('scores, in the next batch, transactions stored after a batch with seqs below the batch’s last', async () => {
    const now = Date.UTC(2025, 6, 1, 12);
    const batch = async () => {
      const run = await runMicroBatch({ db: store.db, params, workers: 0 });
      return run && { run, source: JSON.parse((await findRun(store.db, run.id))!.source) as object };
    };
    await burst('a', now - 90 * MINUTE, 1, 1);
    expect((await batch())?.source).toMatchObject({ fromSeq: null, toSeq: 1 });
    await burst('b', now - 60 * MINUTE, 1, 2);
    await burst('later', now - 50 * MINUTE, 1, 15);
    expect((await batch())?.source).toMatchObject({ fromSeq: 1, toSeq: 15 });
    // seq 3-14 were taken before that batch read the table, their rows stored after it (their
    // decisions still queued, or a partition's worker behind).
    await burst('held-back', now - 30 * MINUTE, 12, 3);
    await burst('newest', now, 1, 16);
    const third = await batch();
    expect(third?.source).toMatchObject({ fromSeq: 15, toSeq: 16 });
    expect(await alertedUsers(third!.run.id)).toContain('held-back');
    expect(await batch()).toBeNull(); // nothing new
  });

  it('ends no window at an arrival dated more than the lookback before the last batch: no whole-store reload', async () => {
    const now = Date.UTC(2025, 7, 1, 12);
    await burst('recent', now, 2, 1);
    await runMicroBatch({ db: store.db, params, workers: 0 });
    await burst('years-back', Date.UTC(2020, 0, 1), 12, 3);
    await burst('today', now + MINUTE, 1, 15);
    const batch = await runMicroBatch({ db: store.db, params, workers: 0, lookbackHours: 24 });
    expect(await alertedUsers(batch!.id)).not.toContain('years-back');
    expect(batch!.rows).toBe(3); // from 8 days before `now`: recent and today, not 2020
  });

  it('resumes after a batch stored by the old code (covered_to only): neither redoing everything nor skipping', async () => {
    const T = Date.UTC(2025, 8, 1);
    // Flagged if the batch scored everything again: before the old batch started, a month earlier.
    await burst('old-smurf', T - 30 * 24 * 60 * MINUTE, 6, 101);
    await insertRun(store.db, {
      id: 'legacy-batch',
      status: 'succeeded',
      source: '{"kind":"store"}',
      params: '{}',
      started_at: T,
      finished_at: T + 1000,
      row_count: 6,
      window_count: 12,
      method_counts: '{}',
      durations: '{}',
      error: null,
      report: null,
      covered_to: T,
    });
    // Arrived after the old batch started, dated before its covered_to: the old code skipped them.
    await burst('late-smurf', T - 10 * MINUTE, 12, 201);
    await store.db
      .updateTable('transactions')
      .set({ received_at: T + MINUTE })
      .where('seq', '>=', 201)
      .execute();

    const batch = await runMicroBatch({ db: store.db, params, workers: 0, lookbackHours: 24 });
    expect(batch).not.toBeNull();
    const users = await alertedUsers(batch!.id);
    expect(users).toContain('late-smurf');
    expect(users).not.toContain('old-smurf');
    expect(batch!.rows).toBe(12);
  });
});
