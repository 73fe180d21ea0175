import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers.js';
import { expectFullReport } from '../../test/structuring-fixtures.js';
import { migrate, openStore, type Store } from '../store/database.js';
import { literal, openEngine } from './duckdb.js';
import { generateLedger, type LedgerSummary } from './ledger.generator.js';
import { createRun, executeRun, runStructuring, type RunSummary } from './run.js';
import { ALERT_CHUNK, consensusWindows, findRun, listAlerts } from './structuring.repository.js';
import { FEATURES, runParamsOf } from './structuring.js';

/** A run's stored alerts, and how many have a key below the one stored before them (same method and scope). */
async function keyOrder(store: Store, runId: string) {
  const rows = await sql<{ method: string; scope: string; alert_key: string }>`SELECT method, scope, alert_key
    FROM structuring_alerts WHERE run_id = ${runId} ORDER BY rowid`.execute(store.db);
  const previous = new Map<string, string>();
  let descending = 0;
  for (const { method, scope, alert_key: key } of rows.rows) {
    const before = previous.get(`${method} ${scope}`);
    if (before !== undefined && key < before) descending++;
    previous.set(`${method} ${scope}`, key);
  }
  return { alerts: rows.rows.length, descending };
}

describe('a structuring run over a generated ledger', () => {
  let store: Store;
  let dir: string;
  let ledger: LedgerSummary;
  let summary: RunSummary;
  beforeAll(async () => {
    dir = tempDir('centinela-structuring-run-');
    store = openStore({ url: join(dir, 'c.db') });
    await migrate(store.db);
    ledger = await generateLedger({ users: 250, days: 21, out: join(dir, 'ledger.parquet'), seed: 3 });
    summary = await runStructuring({
      db: store.db,
      source: { kind: 'files', input: join(dir, 'ledger.parquet') },
      params: runParamsOf({}),
      exportTo: join(dir, 'windows.parquet'),
    });
  });
  afterAll(() => store.close());

  // Each large group gets its own pool of threads (ended with the group); the model each thread
  // fits on the group's seeded sample is the same, so the number of threads changes nothing.
  it('scores every group in its own worker threads, the same with one thread or two', async () => {
    const run = (workers: number) =>
      runStructuring({
        db: store.db,
        source: { kind: 'files', input: join(dir, 'ledger.parquet') },
        params: runParamsOf({ methods: 'iforest,ecod', minMethods: 1 }),
        parallelFrom: 1000,
        workers,
      });
    const two = await run(2);
    const one = await run(1);
    expect(two.windows).toBeGreaterThan(2 * 1000);
    expect(two.method_counts.iforest).toBeGreaterThan(0);
    expect(two.method_counts.ecod).toBeGreaterThan(0);
    expect(two.method_counts).toEqual(one.method_counts);
  });

  // The API's runs share the process with live scoring: every detector runs in a worker thread
  // and alerts are stored in small transactions. The results must not change.
  it('stores the same alerts when run in the background (off the event loop, small commits)', async () => {
    const background = await runStructuring({
      db: store.db,
      source: { kind: 'files', input: join(dir, 'ledger.parquet') },
      params: runParamsOf({}),
      background: true,
    });
    expect(background.method_counts).toEqual(summary.method_counts);
    expect(background.stored_alerts).toBe(summary.stored_alerts);
    const alerts = async (runId: string) =>
      (
        await sql<Record<string, unknown>>`SELECT method, scope, user_id, merchant_id, transaction_id, score,
          votes, window_start, window_end FROM structuring_alerts WHERE run_id = ${runId}
          ORDER BY method, scope, user_id, merchant_id, window_end, transaction_id`.execute(store.db)
      ).rows;
    const expected = await alerts(summary.id);
    expect(expected.length).toBeGreaterThan(2 * ALERT_CHUNK); // several background transactions
    expect(await alerts(background.id)).toEqual(expected);
  });

  // The API frees a run's slot in this hook: a client that sees the final status may start
  // the next run at once.
  it('calls beforeFinalStatus once, while the run still shows running, whether it succeeds or fails', async () => {
    const statusAtHook = async (input: string) => {
      const source = { kind: 'files', input } as const;
      const params = runParamsOf({ methods: 'rules' });
      const id = await createRun(store.db, source, params);
      const seen: Promise<string | undefined>[] = [];
      const beforeFinalStatus = () => void seen.push(findRun(store.db, id).then((run) => run?.status));
      await executeRun(id, { db: store.db, source, params, beforeFinalStatus }).catch(() => undefined);
      return { atHook: await Promise.all(seen), after: (await findRun(store.db, id))?.status };
    };
    expect(await statusAtHook(join(dir, 'ledger.parquet'))).toEqual({
      atHook: ['running'],
      after: 'succeeded',
    });
    expect(await statusAtHook(join(dir, 'missing.csv'))).toEqual({ atHook: ['running'], after: 'failed' });
  });

  it('generates labelled episodes and both kinds of look-alike', async () => {
    expect(ledger.rows).toBeGreaterThan(5_000);
    expect(ledger.episodes).toBeGreaterThan(3);
    const engine = await openEngine({ threads: 1 });
    const rows = await engine.connection.runAndReadAll(`SELECT
        count(*) FILTER (merchant_id LIKE 'M08%' AND merchant_id < 'M085000') AS fares,
        count(*) FILTER (merchant_id >= 'M085000' AND merchant_id < 'M090000') AS supplier,
        count(*) FILTER (is_structuring = 1 AND transaction_amount < 7000) AS small_parts
      FROM read_parquet(${literal(join(dir, 'ledger.parquet'))})`);
    engine.close();
    const [fares, supplier, parts] = (rows.getRows()[0] ?? []).map(Number);
    expect(fares).toBeGreaterThan(100);
    expect(supplier).toBeGreaterThan(50);
    expect(parts).toBe(ledger.structuring_rows);
  });

  it('stores a succeeded run with row, window and per-method counts', async () => {
    const run = await findRun(store.db, summary.id);
    expect(run).toMatchObject({
      status: 'succeeded',
      row_count: ledger.rows,
      window_count: summary.windows,
      error: null,
    });
    const counts = JSON.parse(run!.method_counts!) as Record<string, number>;
    expect(Object.keys(counts).sort()).toEqual([
      'consensus',
      'dbscan',
      'ecod',
      'gmm',
      'iforest',
      'lof',
      'rules',
      'zscore',
    ]);
    expect(summary.windows).toBeGreaterThan(ledger.rows); // user and user-merchant windows
    const stored = await listAlerts(store.db, { runId: summary.id, method: 'iforest', limit: 1_000_000 });
    expect(stored).toHaveLength(counts.iforest!);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(summary.stored_alerts);
  });

  it('stores consensus alerts exactly for windows flagged by at least 3 methods', async () => {
    const consensus = await listAlerts(store.db, {
      runId: summary.id,
      method: 'consensus',
      limit: 1_000_000,
    });
    expect(consensus.length).toBeGreaterThan(0);
    expect(consensus.every((a) => a.votes >= 3 && a.score === a.votes)).toBe(true);
    const fromQuery = await consensusWindows(store.db, summary.id, 3);
    expect(fromQuery).toHaveLength(consensus.length);
  });

  it('finds most generated episodes: consensus recall on structuring windows', async () => {
    const consensus = await listAlerts(store.db, {
      runId: summary.id,
      method: 'consensus',
      limit: 1_000_000,
    });
    const engine = await openEngine({ threads: 1 });
    const all = await engine.connection.runAndReadAll(
      `SELECT count(*) FILTER (label = 1) FROM read_parquet(${literal(join(dir, 'windows.parquet'))})`,
    );
    engine.close();
    const positives = Number(all.getRows()[0]?.[0]);
    const found = consensus.filter((a) => a.label === 1).length;
    expect(found / positives).toBeGreaterThan(0.5);
    // Look-alikes are mostly not consensus alerts: precision is far above the base rate.
    const precision = found / consensus.length;
    expect(precision).toBeGreaterThan((3 * positives) / summary.windows);
  });

  it('exports every window with keys, bounds, features, scores and flags', async () => {
    const engine = await openEngine({ threads: 1 });
    const reader = await engine.connection.runAndReadAll(
      `SELECT * FROM read_parquet(${literal(join(dir, 'windows.parquet'))})`,
    );
    engine.close();
    expect(reader.currentRowCount).toBe(summary.windows);
    const columns = reader.columnNames();
    for (const c of [
      'scope',
      'window_length',
      'user_id',
      'merchant_id',
      'window_start',
      'window_end',
      'count_amt',
      'std_delta',
      'lof_score',
      'lof_flag',
      'votes',
    ])
      expect(columns).toContain(c);
  });

  it('stores each alert with its window: bounds and the seven features as exported', async () => {
    const alerts = await listAlerts(store.db, { runId: summary.id, limit: 400 });
    expect(alerts.length).toBe(400);
    const engine = await openEngine({ threads: 1 });
    const reader = await engine.connection.runAndReadAll(`SELECT scope, user_id, coalesce(merchant_id, ''),
        epoch_ms(window_end)::DOUBLE, epoch_ms(window_start)::DOUBLE, ${FEATURES.map((f) => `${f}::DOUBLE`).join(', ')}
      FROM read_parquet(${literal(join(dir, 'windows.parquet'))})`);
    engine.close();
    const windows = new Map(
      reader
        .getRows()
        .map(([scope, user, merchant, end, ...rest]) => [[scope, user, merchant, end].join('|'), rest]),
    );
    for (const a of alerts) {
      const [start, ...features] =
        windows.get([a.scope, a.user_id, a.merchant_id ?? '', a.window_end].join('|')) ?? [];
      expect(a.window_start).toBe(start);
      expect(FEATURES.map((f) => a[f])).toEqual(features);
    }
    expect(alerts.some((a) => a.std_amt === null || a.delta === null || a.std_delta === null)).toBe(true);
  });

  // The store's cost per alert on millions of them: keys that arrive in order append to the
  // key index instead of landing on random pages (twice the time per alert on 4.4M alerts).
  it("stores each method's alerts of a scope in ascending key order", async () => {
    const { alerts, descending } = await keyOrder(store, summary.id);
    expect(alerts).toBeGreaterThan(1000);
    // Not none: DuckDB's join hands back the alerted windows in order chunk by chunk, not overall.
    expect(descending).toBeLessThan(alerts / 100);
  });

  it('renders a self-contained report with every section', () => {
    expectFullReport(summary.report);
    expect(
      existsSync(join(dir, 'windows.parquet')) && readFileSync(join(dir, 'windows.parquet')).length,
    ).toBeGreaterThan(0);
  });
});

describe('--methods: every detector can run alone', () => {
  let store: Store;
  let input: string;
  beforeAll(async () => {
    const dir = tempDir('centinela-structuring-methods-');
    store = openStore({ url: join(dir, 'c.db') });
    await migrate(store.db);
    input = join(dir, 'ledger.parquet');
    await generateLedger({ users: 120, days: 14, out: input, seed: 9 });
  });
  afterAll(() => store.close());

  it.each(['rules', 'zscore', 'iforest', 'lof', 'dbscan', 'gmm', 'ecod'])(
    '%s alone flags windows and stores only its own alerts',
    async (method) => {
      const summary = await runStructuring({
        db: store.db,
        source: { kind: 'files', input },
        params: runParamsOf({ methods: method, minMethods: 1 }),
        workers: 0,
      });
      expect(Object.keys(summary.method_counts).sort()).toEqual(['consensus', method].sort());
      expect(summary.method_counts[method]).toBeGreaterThan(0);
      // With one method and m = 1 the consensus is exactly that method's flags.
      expect(summary.method_counts.consensus).toBe(summary.method_counts[method]);
      const alerts = await listAlerts(store.db, { runId: summary.id, limit: 1_000_000 });
      expect(new Set(alerts.map((a) => a.method))).toEqual(new Set([method, 'consensus']));
      expect(alerts).toHaveLength(summary.stored_alerts);
    },
  );
});

/** A rules-only run over CSV rows (`_id,user_id,merchant_id,transaction_date,transaction_amount`) in a new store. */
async function rulesRunOver(rows: readonly string[]): Promise<{ store: Store; summary: RunSummary }> {
  const dir = tempDir('centinela-structuring-rows-');
  const store = openStore({ url: join(dir, 'c.db') });
  await migrate(store.db);
  const input = join(dir, 'rows.csv');
  writeFileSync(input, ['_id,user_id,merchant_id,transaction_date,transaction_amount', ...rows].join('\n'));
  const summary = await runStructuring({
    db: store.db,
    source: { kind: 'files', input },
    params: runParamsOf({ methods: 'rules', minMethods: 1 }),
    workers: 0,
  });
  return { store, summary };
}

describe('alerts of windows that share a user, merchant and end', () => {
  it('stores one alert per flagged window: ties in time, and ids holding the key separator', async () => {
    const at = '2025-01-01 10:00:00';
    // u1 at six merchants at one instant; ('a|b', 'c') and ('a', 'b|c') six times each at one instant
    const { store, summary } = await rulesRunOver([
      ...[1, 2, 3, 4, 5, 6].map((i) => `t${i},u1,m${i},${at},100`),
      ...[1, 2, 3, 4, 5, 6].map((i) => `p${i},a|b,c,${at},100`),
      ...[1, 2, 3, 4, 5, 6].map((i) => `q${i},a,b|c,${at},100`),
    ]);
    try {
      // Every window counts 6 (> 4): 18 user windows and 12 user+merchant ones (u1's are 1 each).
      expect(summary.method_counts.rules).toBe(30);
      const alerts = await listAlerts(store.db, { runId: summary.id, method: 'rules', limit: 1000 });
      expect(alerts).toHaveLength(30); // was 3: one per user, merchant and instant
      expect(summary.stored_alerts).toBe(2 * 30);
      // The consensus view counts them window by window too (it grouped by the window end).
      const consensus = await consensusWindows(store.db, summary.id, 1);
      expect(consensus).toHaveLength(30);
      expect(new Set(consensus.map((w) => w.methods))).toEqual(new Set([1]));
    } finally {
      await store.close();
    }
  });

  it('stores keys in ascending order when ids differ in length (u9, u10, u100)', async () => {
    const { store, summary } = await rulesRunOver(
      ['u9', 'u10', 'u100', 'v1'].flatMap((user, u) =>
        [1, 2, 3, 4, 5, 6].map((i) => `${user}-${i},${user},m${9 + (i % 2)},2025-01-01 1${u}:0${i}:00,100`),
      ),
    );
    try {
      expect(summary.stored_alerts).toBeGreaterThan(8);
      expect(await keyOrder(store, summary.id)).toEqual({ alerts: summary.stored_alerts, descending: 0 });
    } finally {
      await store.close();
    }
  });
});
