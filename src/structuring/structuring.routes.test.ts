import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, tempDir, type TestService } from '../../test/helpers.js';
import { loadConfig } from '../config.js';
import { generateLedger } from './ledger.generator.js';
import { FEATURES } from './structuring.js';

/** Polls the run until it is no longer `running`; answers the last GET. */
async function pollRun(t: TestService, id: string) {
  for (let i = 0; i < 200; i++) {
    const res = await t.request({ method: 'GET', url: `/v1/structuring/runs/${id}` });
    if (res.json().status !== 'running') return res;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`run ${id} did not finish`);
}

describe('structuring API', () => {
  let t: TestService;
  let ledger: string;
  beforeAll(async () => {
    t = await startTestService();
    ledger = join(t.dir, 'ledger.csv');
    await generateLedger({ users: 80, days: 10, out: ledger, seed: 5 });
  });
  afterAll(() => t.destroy());

  const waitForRun = (id: string) => pollRun(t, id);

  it('runs a file in the background: 202, then the run, its report and its alerts', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { input: ledger, methods: ['rules', 'zscore', 'iforest', 'ecod'], min_methods: 2 },
    });
    expect(res.statusCode).toBe(202);
    const { run_id: id } = res.json();
    const run = (await waitForRun(id)).json();
    expect(run).toMatchObject({
      id,
      status: 'succeeded',
      error: null,
      report_url: `/v1/structuring/runs/${id}/report`,
    });
    expect(run.row_count).toBeGreaterThan(1000);
    expect(run.params.methods).toEqual(['rules', 'zscore', 'iforest', 'ecod']);

    const report = await t.request({ method: 'GET', url: run.report_url });
    expect(report.headers['content-type']).toMatch(/text\/html/);
    expect(report.body).toContain('id="precision-recall"');

    const alerts = (
      await t.request({ method: 'GET', url: `/v1/structuring/alerts?run_id=${id}&method=consensus&limit=5` })
    ).json();
    expect(alerts.items).toHaveLength(Math.min(5, run.method_counts.consensus));
    const first = alerts.items[0];
    expect(first).toMatchObject({ run_id: id, method: 'consensus' });
    expect(first.votes).toBeGreaterThanOrEqual(2);
    expect(Object.keys(first.features).sort()).toEqual([...FEATURES].sort());
    expect(first.features.count_amt).toBeGreaterThanOrEqual(1);
    expect(first).not.toHaveProperty('count_amt');
    const byUser = (
      await t.request({
        method: 'GET',
        url: `/v1/structuring/alerts?run_id=${id}&user_id=${first.user_id}&to=${first.window_end}`,
      })
    ).json();
    expect(
      byUser.items.every(
        (a: { user_id: string; window_end: string }) =>
          a.user_id === first.user_id && a.window_end <= first.window_end,
      ),
    ).toBe(true);
  });

  it('lists runs for the dashboard and serves the consensus view for any m', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: {
        input: ledger,
        methods: ['rules', 'zscore', 'ecod'],
        windows: ['24h', '7d'],
        min_methods: 2,
      },
    });
    const id: string = res.json().run_id;
    const run = (await waitForRun(id)).json();
    expect(run.params.windows.map((w: { label: string }) => w.label)).toEqual(['24h', '7d']);

    const listed = (await t.request({ method: 'GET', url: '/v1/structuring/runs?limit=50' })).json();
    expect(listed.items[0]).toMatchObject({ id, status: 'succeeded', row_count: run.row_count });
    expect(listed.items[0]).not.toHaveProperty('report');
    const failed = (await t.request({ method: 'GET', url: '/v1/structuring/runs?status=failed' })).json();
    expect(failed.items).toEqual([]);

    const consensus = async (m?: number) =>
      (
        await t.request({
          method: 'GET',
          url: `/v1/structuring/runs/${id}/consensus?limit=10000${m === undefined ? '' : `&min_methods=${m}`}`,
        })
      ).json();
    const own = await consensus();
    expect(own.min_methods).toBe(2);
    // The view at the run's own m holds exactly the stored consensus alerts.
    expect(own.items).toHaveLength(run.method_counts.consensus);
    const [one, three] = [await consensus(1), await consensus(3)];
    expect(one.items.length).toBeGreaterThan(own.items.length);
    expect(three.items.length).toBeLessThanOrEqual(own.items.length);
    expect(three.items.every((w: { methods: number }) => w.methods === 3)).toBe(true);
    expect(new Set(own.items.map((w: { window_length: string }) => w.window_length))).toEqual(
      new Set(['24h', '7d']),
    );
    // Each window's method count agrees with the per-method alerts stored for it.
    const w = own.items[0];
    const perMethod = (
      await t.request({
        method: 'GET',
        url: `/v1/structuring/alerts?run_id=${id}&user_id=${w.user_id}&from=${w.window_end}&to=${w.window_end}&limit=10000`,
      })
    ).json().items as { method: string; scope: string; window_length: string; merchant_id: string | null }[];
    const same = perMethod.filter(
      (a) =>
        a.method !== 'consensus' &&
        a.scope === w.scope &&
        a.window_length === w.window_length &&
        a.merchant_id === w.merchant_id,
    );
    expect(same).toHaveLength(w.methods);
    const missing = await t.request({ method: 'GET', url: '/v1/structuring/runs/nope/consensus' });
    expect(missing.statusCode).toBe(404);
  });

  it('queues one structuring.alert webhook per run with new alerts and observes the run time', async () => {
    const hook = (
      await t.request({
        method: 'POST',
        url: '/v1/webhooks',
        payload: { url: 'http://127.0.0.1:9/hook', events: ['structuring.alert'] },
      })
    ).json();
    const res = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { input: ledger, methods: ['rules', 'iforest'], min_methods: 2 },
    });
    const id: string = res.json().run_id;
    const run = (await waitForRun(id)).json();
    // The event is queued just after the run is marked succeeded.
    const queued = async () =>
      (await t.service.webhooks.deliveries(hook.id, { limit: 100 })).items.filter(
        (d) => d.event === 'structuring.alert',
      );
    for (let i = 0; i < 100 && (await queued()).length === 0; i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const events = await queued();
    expect(events).toHaveLength(1);
    const data = (events[0]!.payload as { data: Record<string, unknown> }).data;
    expect(data).toMatchObject({
      run_id: id,
      flagged_windows: run.method_counts,
      report_url: `/v1/structuring/runs/${id}/report`,
    });
    expect(data.new_alerts).toBeGreaterThan(0);
    const top = data.top_consensus as { methods: number; user_id: string }[];
    expect(top.length).toBe(Math.min(20, run.method_counts.consensus));
    expect(top.every((a) => a.methods >= 2)).toBe(true);
    await t.request({ method: 'DELETE', url: `/v1/webhooks/${hook.id}` });

    const metrics = (await t.request({ method: 'GET', url: '/metrics' })).body;
    const count = (detector: string) =>
      Number(
        new RegExp(`centinela_structuring_run_seconds_count\\{detector="${detector}"\\} (\\d+)`).exec(
          metrics,
        )?.[1] ?? 0,
      );
    // Every finished run of this file so far is observed, as a whole and per detector.
    expect(count('all')).toBeGreaterThanOrEqual(3);
    expect(count('iforest')).toBeGreaterThanOrEqual(2);
    expect(count('rules')).toBeGreaterThanOrEqual(3);
  });

  it('runs over stored transactions in a time range', async () => {
    const at = (m: number) => new Date(Date.UTC(2026, 0, 5, 10, m)).toISOString();
    for (let m = 0; m < 12; m++)
      await t.post({ account_id: 'acct-s', merchant_id: 'shop', amount: 900 + m, timestamp: at(m) });
    const res = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { from: at(0), to: at(59), methods: ['rules'] },
    });
    const run = (await waitForRun(res.json().run_id)).json();
    expect(run).toMatchObject({ status: 'succeeded', row_count: 12, window_count: 24 });
    expect(run.method_counts.rules).toBeGreaterThan(0);
  });

  it('answers 400 INPUT_NOT_FOUND for a missing file, 400 for an unknown method, 404 for an unknown run', async () => {
    const missing = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { input: join(t.dir, 'nope.parquet') },
    });
    expect([missing.statusCode, missing.json().error.code]).toEqual([400, 'INPUT_NOT_FOUND']);
    const method = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { input: ledger, methods: ['magic'] },
    });
    expect([method.statusCode, method.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    // Seeds as the CLI takes them: a whole number that fits 32 bits.
    for (const seed of [-1, 2 ** 32, 2 ** 53]) {
      const refused = await t.request({
        method: 'POST',
        url: '/v1/structuring/runs',
        payload: { input: ledger, seed },
      });
      expect([refused.statusCode, JSON.stringify(refused.json().error.details)], String(seed)).toEqual([
        400,
        expect.stringContaining('seed'),
      ]);
    }
    const unknown = await t.request({ method: 'GET', url: '/v1/structuring/runs/nope' });
    expect([unknown.statusCode, unknown.json().error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('answers 400 naming the field for an alert method that no run stores (it answered an empty list)', async () => {
    const wrong = await t.request({ method: 'GET', url: '/v1/structuring/alerts?method=Lof' });
    expect([wrong.statusCode, wrong.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(JSON.stringify(wrong.json().error.details)).toContain('method');
    for (const method of ['lof', 'consensus']) {
      const right = await t.request({ method: 'GET', url: `/v1/structuring/alerts?method=${method}` });
      expect(right.statusCode, method).toBe(200);
    }
  });

  it('answers 400 INPUT_INVALID for a URL and for a match that is not a regular file (a FIFO)', async () => {
    const fifo = join(t.dir, 'pipe.csv');
    execFileSync('mkfifo', [fifo]);
    const cases = {
      'http://127.0.0.1:9/x.csv': 'not a URL',
      's3://bucket/x.parquet': 'not a URL',
      [fifo]: 'not a regular file',
      '/dev/zero': 'not a regular file', // a device: DuckDB's glob does not list it
    };
    for (const [input, message] of Object.entries(cases)) {
      const res = await t.request({ method: 'POST', url: '/v1/structuring/runs', payload: { input } });
      expect([res.statusCode, res.json().error.code], input).toEqual([400, 'INPUT_INVALID']);
      expect(res.json().error.message).toContain(message);
    }
  });

  it('names the field of a run asked for both a file and a range, of min_methods beyond the methods, a map conflict and a bad window', async () => {
    const both = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { input: ledger, from: '2026-03-01T00:00:00Z' },
    });
    expect([both.statusCode, both.json().error.details]).toEqual([
      400,
      [{ field: 'from', code: 'conflict', message: 'Give either input or a from/to range, not both.' }],
    ]);
    const refused: [object, string][] = [
      [{ min_methods: 8 }, 'min_methods'],
      [{ min_methods: 1e308 }, 'min_methods'],
      [{ methods: ['rules'], min_methods: 2 }, 'min_methods'],
      [{ map: { transaction_amount: 'amount', _id: 'amount' } }, 'map'],
      [{ windows: ['24h', '0h'] }, 'windows[1]'],
    ];
    for (const [fields, field] of refused) {
      const res = await t.request({
        method: 'POST',
        url: '/v1/structuring/runs',
        payload: { input: ledger, ...fields },
      });
      expect([res.statusCode, res.json().error.details[0].field], JSON.stringify(fields)).toEqual([
        400,
        field,
      ]);
    }
  });

  it('answers 400 for a stored-transactions range whose from is after its to', async () => {
    const res = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { from: '2026-03-31T00:00:00Z', to: '2026-03-01T00:00:00Z' },
    });
    expect([res.statusCode, res.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(res.json().error.details).toEqual([expect.objectContaining({ field: 'from', code: 'range' })]);
    const alerts = await t.request({
      url: '/v1/structuring/alerts?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z',
    });
    expect([alerts.statusCode, alerts.json().error.details[0].field]).toEqual([400, 'querystring.from']);
  });

  it('needs structuring:run to start a run and structuring:read to read', async () => {
    const reader = await t.service.keys.create({ name: 'reader', scopes: ['structuring:read'] });
    const headers = { 'x-api-key': reader.key };
    const start = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { input: ledger },
      headers,
    });
    expect([start.statusCode, start.json().error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await t.request({ method: 'GET', url: '/v1/structuring/alerts', headers })).statusCode).toBe(200);
  });
});

describe('structuring API with CENTINELA_STRUCTURING_INPUT_DIR', () => {
  let t: TestService;
  let inputDir: string;
  beforeAll(async () => {
    inputDir = tempDir('centinela-structuring-inputs-');
    t = await startTestService({ structuringInputDir: inputDir });
  });
  afterAll(() => t.destroy());

  const start = (input: string) =>
    t.request({ method: 'POST', url: '/v1/structuring/runs', payload: { input, methods: ['rules'] } });

  it('reads files under that folder, by a path relative to it, and refuses any other before opening it', async () => {
    const csv = 'user_id,transaction_date,transaction_amount\nu1,2026-01-01,5\n';
    writeFileSync(join(inputDir, 'in.csv'), csv);
    writeFileSync(join(t.dir, 'outside.csv'), csv);
    symlinkSync(join(t.dir, 'outside.csv'), join(inputDir, 'link.csv'));
    expect((await start('in.csv')).statusCode).toBe(202);
    for (const input of [join(t.dir, 'outside.csv'), '../outside.csv', '/etc/passwd', 'link.csv', '*.csv']) {
      const res = await start(input);
      expect([res.statusCode, res.json().error.code], input).toEqual([400, 'INPUT_INVALID']);
      expect(res.json().error.message).toContain('under CENTINELA_STRUCTURING_INPUT_DIR');
    }
  });
});

describe('structuring API, unreadable input', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(() => t.destroy());

  /**
   * Starts a run over a file holding `content`: a file refused up front answers its 400
   * code, one refused while loading its stored run (`CODE: message`, alerts, whole body).
   */
  async function outcome(name: string, content: Buffer | string) {
    const input = join(t.dir, name);
    writeFileSync(input, content);
    const res = await t.request({ method: 'POST', url: '/v1/structuring/runs', payload: { input } });
    if (res.statusCode !== 202) return { status: res.statusCode, ...res.json().error, body: res.body };
    const run = await pollRun(t, res.json().run_id);
    const [code, ...message] = String(run.json().error).split(': ');
    const alerts = await t.request({ method: 'GET', url: `/v1/structuring/alerts?run_id=${run.json().id}` });
    return {
      status: run.json().status,
      code,
      message: message.join(': '),
      body: run.body,
      alerts: alerts.json().items,
    };
  }

  const header = 'user_id,transaction_date,transaction_amount\n';

  it('refuses a file that is not Parquet with 400 INPUT_INVALID, naming the problem', async () => {
    const bad = await outcome('bad.parquet', randomBytes(300));
    expect(bad).toMatchObject({ status: 400, code: 'INPUT_INVALID' });
    expect(bad.message).toContain('not a Parquet file');
    expect(bad.message).not.toMatch(/magic bytes|LINE 1/);
  });

  it('refuses a file without a needed column at once (400), not as a run that fails later', async () => {
    const missing = await outcome('no-amount.csv', 'user_id,transaction_date,amount\nu1,2026-01-01,5\n');
    expect(missing).toMatchObject({ status: 400, code: 'INPUT_INVALID' });
    expect(missing.message).toContain('lacks columns: transaction_amount');
  });

  it('names the column of a value it cannot cast, never the value, and keeps no alerts', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `u${i},2026-01-0${1 + (i % 9)},${100 + i}`);
    const secret = await outcome(
      'secret.csv',
      `${header}${rows.join('\n')}\nu9,2026-01-02,SECRET-LINE-CONTENT\n`,
    );
    expect(secret).toMatchObject({ status: 'failed', code: 'INPUT_INVALID', alerts: [] });
    expect(secret.message).toContain('column transaction_amount: a value cannot be read as a number');
    expect(secret.body).not.toContain('SECRET');

    const date = await outcome('date.csv', `${header}u1,2026-01-01,5\nu2,SECRET-DATE,6\n`);
    expect(date).toMatchObject({ code: 'INPUT_INVALID' });
    expect(date.message).toContain('column transaction_date: a value cannot be read as a timestamp');
    expect(date.body).not.toContain('SECRET');
  });

  it('refuses a CSV that is not UTF-8 with INPUT_INVALID, quoting no line of it', async () => {
    const latin1 = Buffer.concat([
      Buffer.from(`${header}u1,2026-01-01,5\n`),
      Buffer.from('SECRET\xe9\xff,2026-01-02,6\n', 'latin1'),
    ]);
    const res = await outcome('latin1.csv', latin1);
    expect(res).toMatchObject({ code: 'INPUT_INVALID' });
    expect(res.message).toContain('not valid UTF-8 CSV');
    expect(res.body).not.toContain('SECRET');
  });
});

describe('structuring API, concurrent runs', () => {
  let t: TestService;
  let ledger: string;
  beforeAll(async () => {
    t = await startTestService({ structuringMaxRuns: 1 });
    ledger = join(t.dir, 'ledger.csv');
    await generateLedger({ users: 40, days: 5, out: ledger, seed: 7 });
  });
  afterAll(() => t.destroy());

  const start = (input = ledger) =>
    t.request({ method: 'POST', url: '/v1/structuring/runs', payload: { input, methods: ['rules'] } });

  it('reads CENTINELA_STRUCTURING_MAX_RUNS, default 2', () => {
    expect(loadConfig({}).structuringMaxRuns).toBe(2);
    expect(loadConfig({ CENTINELA_STRUCTURING_MAX_RUNS: '5' }).structuringMaxRuns).toBe(5);
    expect(() => loadConfig({ CENTINELA_STRUCTURING_MAX_RUNS: '0' })).toThrow(/STRUCTURING_MAX_RUNS/);
  });

  it('answers 429 RATE_LIMITED with Retry-After beyond the cap, and takes runs again once one ends', async () => {
    const answers = await Promise.all([start(), start(), start()]);
    const statuses = answers.map((a) => a.statusCode).sort();
    expect(statuses).toEqual([202, 429, 429]);
    const refused = answers.find((a) => a.statusCode === 429)!;
    expect(refused.headers['retry-after']).toBe('10');
    expect(refused.json().error).toMatchObject({
      code: 'RATE_LIMITED',
      details: { reason: 'too_many_runs', max_runs: 1 },
    });
    const accepted = answers.find((a) => a.statusCode === 202)!;
    expect((await pollRun(t, accepted.json().run_id)).json().status).toBe('succeeded');
    // The slot is free once the run shows succeeded (freed just before that status is written).
    const again = await start();
    expect(again.statusCode).toBe(202);
    await pollRun(t, again.json().run_id);
  });

  it('frees the slot of a request refused before its run starts', async () => {
    const missing = await start(join(t.dir, 'nope.csv'));
    expect(missing.statusCode).toBe(400);
    const res = await start();
    expect(res.statusCode).toBe(202);
    await pollRun(t, res.json().run_id);
  });
});
