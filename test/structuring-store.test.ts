import { CompiledQuery, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMigrator, migrate, openStore, type Store } from '../src/store/database.js';
import {
  alertsQuery,
  consensusWindows,
  ALERT_CHUNK,
  insertAlerts,
  insertRun,
  listAlerts,
  listRuns,
  type AlertFilter,
  type NewAlertRow,
} from '../src/structuring/structuring.repository.js';
import { FEATURES } from '../src/structuring/structuring.js';
import { availableDialects, createTestStore, storeForSuite, type TestStore } from './dialects.js';

const T = Date.UTC(2025, 0, 2);
const DAY = 86_400_000;
/** Window ends of run r3 around the day boundary D (ten days after T), in no other run's range. */
const D = T + 10 * DAY;
const AROUND_D = [D - 1, D, D + 1, D + DAY - 1, D + DAY];

/** One alert of `method` for the user window of `user` ending at `end`. */
function alert(
  run: string,
  method: string,
  user: string,
  end: number,
  merchant: string | null = null,
): NewAlertRow {
  return {
    alert_key: [run, method, merchant ? 'user_merchant' : 'user', '24h', user, merchant ?? '', end].join('|'),
    run_id: run,
    method,
    scope: merchant ? 'user_merchant' : 'user',
    window_length: '24h',
    user_id: user,
    merchant_id: merchant,
    transaction_id: `${user}-${end}`,
    score: 1,
    votes: 0,
    window_start: end - 3_600_000,
    window_end: end,
    ...Object.fromEntries(FEATURES.map((f) => [f, null])),
    label: user === 'smurf' ? 1 : 0,
  };
}

describe.each(await availableDialects())('structuring results on %s', (dialect) => {
  let test: TestStore;
  let store: Store;
  beforeAll(async () => {
    test = await createTestStore(dialect);
    store = openStore({ url: test.url });
    await migrate(store.db);
    for (const [i, id] of ['r1', 'r2'].entries())
      await insertRun(store.db, {
        id,
        status: i === 0 ? 'succeeded' : 'failed',
        source: '{"kind":"files","input":"x.csv"}',
        params: '{"minMethods":2}',
        started_at: T + i,
        finished_at: T + i + 1,
        row_count: 10,
        window_count: 20,
        method_counts: '{}',
        durations: '{}',
        error: null,
        report: '<!doctype html>',
        covered_to: null,
      });
    await insertAlerts(store.db, [
      ...['rules', 'zscore', 'iforest'].map((m) => alert('r1', m, 'smurf', T)),
      ...['rules', 'lof'].map((m) => alert('r1', m, 'smurf', T, 'shop')),
      alert('r1', 'ecod', 'other', T + 1000),
      alert('r1', 'consensus', 'smurf', T),
      alert('r2', 'rules', 'smurf', T),
      ...AROUND_D.map((end) => alert('r3', 'rules', 'clock', end)),
    ]);
  });
  afterAll(async () => {
    await store.close();
    await test.drop();
  });

  it('the structuring_consensus view counts distinct methods per window, for any m', async () => {
    const all = await consensusWindows(store.db, 'r1', 1);
    expect(all.map((w) => [w.user_id, w.merchant_id, w.methods])).toEqual([
      ['smurf', null, 3],
      ['smurf', 'shop', 2],
      ['other', null, 1],
    ]);
    expect(all[0]).toMatchObject({ scope: 'user', window_start: T - 3_600_000, window_end: T, label: 1 });
    expect((await consensusWindows(store.db, 'r1', 2)).map((w) => w.methods)).toEqual([3, 2]);
    expect(await consensusWindows(store.db, 'r1', 4)).toEqual([]);
    expect(await consensusWindows(store.db, 'r1', 1, { limit: 1, offset: 1 })).toHaveLength(1);
  });

  it('lists runs newest first without reports, filtered by status', async () => {
    const runs = await listRuns(store.db, { limit: 10 });
    expect(runs.map((r) => r.id)).toEqual(['r2', 'r1']);
    expect(runs[0]).not.toHaveProperty('report');
    expect((await listRuns(store.db, { status: 'succeeded', limit: 10 })).map((r) => r.id)).toEqual(['r1']);
    expect(await listAlerts(store.db, { runId: 'r2', limit: 10 })).toHaveLength(1);
  });

  it('indexes only alerts with a merchant by merchant (migration 0010)', async () => {
    const definition =
      dialect === 'sqlite'
        ? sql<{
            text: string;
          }>`SELECT sql AS text FROM sqlite_master WHERE name = 'structuring_alerts_merchant'`
        : sql<{
            text: string;
          }>`SELECT indexdef AS text FROM pg_indexes WHERE indexname = 'structuring_alerts_merchant'`;
    const [index] = (await definition.execute(store.db)).rows;
    expect(index?.text.replace(/["()]/g, '').toLowerCase()).toMatch(/where merchant_id is not null$/);
  });

  it('filters alerts by merchant and by user', async () => {
    const atShop = await listAlerts(store.db, { merchantId: 'shop', limit: 10 });
    expect(atShop.map((a) => a.method).sort()).toEqual(['lof', 'rules']);
    expect(atShop.every((a) => a.scope === 'user_merchant')).toBe(true);
    expect(await listAlerts(store.db, { merchantId: 'elsewhere', limit: 10 })).toEqual([]);
    const other = await listAlerts(store.db, { userId: 'other', limit: 10 });
    expect(other.map((a) => [a.method, a.merchant_id])).toEqual([['ecod', null]]);
  });

  it('filters alerts by window end across day boundaries with the day index (migration 0011)', async () => {
    const ends = async (from?: number, to?: number) =>
      (await listAlerts(store.db, { from, to, limit: 100 })).map((a) => a.window_end - D);
    expect(await ends(D, D + DAY - 1)).toEqual([DAY - 1, 1, 0]);
    expect(await ends(D - 1, D)).toEqual([0, -1]);
    expect(await ends(D + 1)).toEqual([DAY, DAY - 1, 1]);
    expect(await ends(D - 1, D - 1)).toEqual([-1]);
    // The eight alerts of runs r1 and r2: one at T + 1 s, seven at T.
    expect(await ends(undefined, D - 2)).toEqual([T + 1000, ...Array<number>(7).fill(T)].map((t) => t - D));
  });

  it('answers a time range and the newest alerts with the day index, and has no plain window_end index (migration 0011)', async () => {
    const planOf = async (filter: AlertFilter) => {
      const query = alertsQuery(store.db, filter).compile();
      const explain = dialect === 'sqlite' ? 'EXPLAIN QUERY PLAN ' : 'EXPLAIN ';
      const plan = await store.db.transaction().execute(async (trx) => {
        // PostgreSQL would scan a table this small; forbid it so the choice of index shows.
        if (dialect === 'postgres') await sql`SET LOCAL enable_seqscan = off`.execute(trx);
        return trx.executeQuery(CompiledQuery.raw(explain + query.sql, [...query.parameters]));
      });
      return JSON.stringify(plan.rows);
    };
    expect(await planOf({ from: D, to: D + DAY, limit: 10 })).toContain('structuring_alerts_end_day');
    // The newest page without filters walks the index instead of sorting every alert.
    expect(await planOf({ limit: 10 })).toContain('structuring_alerts_end_day');
    const indexes =
      dialect === 'sqlite'
        ? sql<{ name: string }>`SELECT name FROM sqlite_master WHERE tbl_name = 'structuring_alerts'`
        : sql<{
            name: string;
          }>`SELECT indexname AS name FROM pg_indexes WHERE tablename = 'structuring_alerts'`;
    const names = (await indexes.execute(store.db)).rows.map((r) => r.name);
    expect(names).toContain('structuring_alerts_end_day');
    expect(names).not.toContain('structuring_alerts_end');
  });

  it('stores a batch larger than one INSERT once per alert, counting only the new ones', async () => {
    const end = D + 30 * DAY; // after every other run's windows
    const many = Array.from({ length: 2 * ALERT_CHUNK + 7 }, (_, i) =>
      alert('r4', 'rules', `u${i}`, end + i),
    );
    const firstHalf = many.slice(0, ALERT_CHUNK + 3);
    expect(await insertAlerts(store.db, firstHalf)).toBe(firstHalf.length);
    expect(await insertAlerts(store.db, many)).toBe(many.length - firstHalf.length);
    const stored = await store.db
      .selectFrom('structuring_alerts')
      .select((eb) => [eb.fn.countAll<number | string>().as('n'), eb.fn.max('window_end').as('last')])
      .where('run_id', '=', 'r4')
      .executeTakeFirstOrThrow();
    expect(Number(stored.n)).toBe(many.length);
    expect(Number(stored.last)).toBe(end + many.length - 1);
  });
});

describe.each(await availableDialects())('alert features as columns (migration 0012) on %s', (dialect) => {
  const store = storeForSuite(dialect);
  const migrator = () => createMigrator(store.db);
  const features = { count_amt: 5, sum_amt: 180.91000000000003, mean_amt: 36.182, std_amt: 12.5 };

  it('leaves the store as it was when the copy fails (malformed JSON), then migrates once fixed', async () => {
    expect((await migrator().migrateTo('0011-alert-end-day-index')).error).toBeUndefined();
    await sql`INSERT INTO structuring_alerts (alert_key, run_id, method, scope, window_length, user_id,
        score, votes, window_start, window_end, features)
      VALUES ('bad', 'b', 'rules', 'user', '24h', 'u', 1, 1, 0, 1, '{not json')`.execute(store.db);
    expect((await migrator().migrateToLatest()).error).toBeDefined();
    const columns = async () =>
      (await store.db.introspection.getTables())
        .find((t) => t.name === 'structuring_alerts')
        ?.columns.map((c) => c.name);
    expect(await columns()).toContain('features');
    expect(await columns()).not.toContain('count_amt');
    await sql`DELETE FROM structuring_alerts WHERE alert_key = 'bad'`.execute(store.db);
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    expect(await columns()).toContain('count_amt');
    expect((await migrator().migrateTo('0011-alert-end-day-index')).error).toBeUndefined();
  });

  it('moves stored JSON features into the columns, and back on the way down', async () => {
    expect((await migrator().migrateTo('0011-alert-end-day-index')).error).toBeUndefined();
    const json = JSON.stringify({ ...features, delta: null, mean_delta: 2.25, std_delta: null });
    await sql`INSERT INTO structuring_alerts (alert_key, run_id, method, scope, window_length, user_id,
        score, votes, window_start, window_end, features)
      VALUES ('k', 'r', 'rules', 'user', '24h', 'u', 1, 1, 0, 1, ${json})`.execute(store.db);
    expect((await migrator().migrateToLatest()).error).toBeUndefined();
    const [row] = await listAlerts(store.db, { runId: 'r', limit: 1 });
    expect(row).toMatchObject({ ...features, delta: null, mean_delta: 2.25, std_delta: null });
    expect(row).not.toHaveProperty('features');

    expect((await migrator().migrateTo('0011-alert-end-day-index')).error).toBeUndefined();
    const back = await sql<{ features: string }>`SELECT features FROM structuring_alerts`.execute(store.db);
    expect(JSON.parse(back.rows[0]?.features ?? '')).toEqual({
      ...features,
      delta: null,
      mean_delta: 2.25,
      std_delta: null,
    });
  });
});
