import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BEHAVIOURAL_SCHEMA, generateBehavioural } from '../src/models/generators/behavioural.generator.js';
import { trainModel } from '../src/models/train.js';
import { startTestService, type TestService } from './helpers.js';

let t: TestService;
beforeAll(async () => {
  t = await startTestService();
  const records = generateBehavioural({ accounts: 300, days: 10, seed: 5 });
  for (const seed of [1, 2]) {
    const result = await trainModel({
      records,
      algorithm: 'gbdt',
      seed,
      schema: BEHAVIOURAL_SCHEMA,
      gbdt: { nEstimators: 60 },
    });
    await t.service.models.register(result, 'generator:behavioural');
  }
}, 120_000);
afterAll(async () => t.destroy());

const T0 = Date.UTC(2026, 5, 1, 3);
const burst = (account: string) =>
  Array.from({ length: 6 }, (_, i) => ({
    account_id: account,
    amount: 1 + i,
    merchant_type: 'online',
    timestamp: new Date(T0 + i * 5000).toISOString(),
  }));

describe('model registry over HTTP', () => {
  it('lists versions with their metrics, data hash and parameters', async () => {
    const res = await t.request({ url: '/v1/models' });
    expect(res.statusCode).toBe(200);
    const items = res.json().items;
    expect(items.map((m: { version: string }) => m.version).sort()).toEqual(['v1', 'v2']);
    expect(items[0]).toMatchObject({ algorithm: 'gbdt', role: 'none', source: 'generator:behavioural' });
    expect(items[0].metrics.rocAuc).toBeGreaterThan(0.5);
    expect(items[0].data_hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('scores with the active model after activation, without a restart, and explains flagged scores', async () => {
    const before = (
      await t.post({ account_id: 'm-0', amount: 10, timestamp: new Date(T0).toISOString() })
    ).json();
    expect(before).toMatchObject({ fraud_probability: null, model_version: null });
    expect((await t.request({ method: 'POST', url: '/v1/models/v1/activate' })).statusCode).toBe(200);
    let last = { model_version: null, fraud_probability: 0, decision: '', reasons: [] } as {
      model_version: string | null;
      fraud_probability: number;
      decision: string;
      reasons: { rule_id: string; code: string; contribution: number }[];
    };
    for (const body of burst('m-1')) last = (await t.post(body)).json();
    expect(last.model_version).toBe('v1');
    const { body: metrics } = await t.service.metrics.scrape();
    expect(metrics).toContain('centinela_model_latency_seconds_count{role="active"} 6');
    expect(metrics).not.toContain('centinela_model_latency_seconds_count{role="shadow"}');
    expect(last.fraud_probability).toBeGreaterThan(0);
    const modelReasons = last.reasons.filter((r: { rule_id: string }) => r.rule_id === 'model:v1');
    expect(last.fraud_probability).toBeGreaterThanOrEqual(0.7); // the model's threshold
    expect(last.decision).not.toBe('approve');
    expect(modelReasons.map((r: { code: string }) => r.code)).toContain('MODEL_COUNT_60S');
    const calm = (
      await t.post({
        account_id: 'm-calm',
        amount: 20,
        timestamp: new Date(T0 + 10 * 3_600_000).toISOString(),
      })
    ).json();
    expect(calm.fraud_probability).toBeLessThan(last.fraud_probability);
    for (const reason of modelReasons) expect(reason.contribution).toBeGreaterThan(0);
  });

  it('stores the shadow score beside the live one without changing the decision', async () => {
    const shadowed = await t.request({ method: 'POST', url: '/v1/models/v2/shadow' });
    expect(shadowed.json()).toMatchObject({ version: 'v2', role: 'shadow' });
    const decided = (
      await t.post({
        transaction_id: 'shadow-1',
        account_id: 'm-2',
        amount: 50,
        timestamp: new Date(T0).toISOString(),
      })
    ).json();
    expect(decided.model_version).toBe('v1');
    expect(decided.shadow).toMatchObject({ model_version: 'v2' });
    expect(typeof decided.shadow.fraud_probability).toBe('number');
    const stored = (await t.request({ url: '/v1/transactions/shadow-1' })).json();
    expect(stored.decision.shadow).toEqual(decided.shadow);
    expect((await t.request({ method: 'DELETE', url: '/v1/models/shadow' })).statusCode).toBe(204);
    // Stopping again changes nothing: still 204, and no second audit entry.
    expect((await t.request({ method: 'DELETE', url: '/v1/models/shadow' })).statusCode).toBe(204);
    const stops = (await t.request({ url: '/v1/audit?action=models.shadow_stop' })).json().items;
    expect(stops.map((e: { target: string }) => e.target)).toEqual(['v2']);
    const after = (
      await t.post({ account_id: 'm-3', amount: 50, timestamp: new Date(T0).toISOString() })
    ).json();
    expect(after.shadow).toBeNull();
  });

  it('reports the challenger against the live model on the same transactions, with labels', async () => {
    await t.request({ method: 'POST', url: '/v1/models/v2/shadow' });
    const decided: {
      transaction_id: string;
      fraud_probability: number;
      shadow: { fraud_probability: number };
    }[] = [];
    for (const body of [
      ...burst('sr-1'),
      { account_id: 'sr-2', amount: 20, timestamp: new Date(T0).toISOString() },
    ])
      decided.push((await t.post(body)).json());
    const [fraud, legit] = [decided[5]!, decided[6]!];
    await t.request({
      method: 'POST',
      url: `/v1/transactions/${fraud.transaction_id}/label`,
      payload: { label: 'fraud' },
    });
    await t.request({
      method: 'POST',
      url: `/v1/transactions/${legit.transaction_id}/label`,
      payload: { label: 'legit' },
    });
    const models = (await t.request({ url: '/v1/models' })).json().items as {
      version: string;
      metrics: { threshold: number };
    }[];
    const threshold = (version: string) =>
      models.find((m) => m.version === version)?.metrics.threshold ?? NaN;
    // Every shadow-scored transaction so far: shadow-1 (previous test) and these seven.
    const shadow1 = (await t.request({ url: '/v1/transactions/shadow-1' })).json().decision;
    const all = [shadow1, ...decided];
    const flaggedLive = all.filter((d) => d.fraud_probability >= threshold('v1')).length;
    const flaggedShadow = all.filter((d) => d.shadow.fraud_probability >= threshold('v2')).length;

    const res = await t.request({ url: '/v1/models/shadow-report' });
    expect(res.statusCode).toBe(200);
    const report = res.json();
    expect(report).toMatchObject({
      shadow_version: 'v2',
      transactions: all.length,
      labelled: 2,
      labelled_fraud: 1,
      live: { versions: ['v1'], flagged: flaggedLive },
      shadow: { versions: ['v2'], flagged: flaggedShadow },
    });
    const meanShadow = all.reduce((sum, d) => sum + d.shadow.fraud_probability, 0) / all.length;
    expect(report.shadow.mean_probability).toBeCloseTo(meanShadow, 9);
    expect(report.live.recall).toBe(fraud.fraud_probability >= threshold('v1') ? 1 : 0);
    const reversed = await t.request({
      url: '/v1/models/shadow-report?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z',
    });
    expect([reversed.statusCode, reversed.json().error.details[0]]).toEqual([
      400,
      expect.objectContaining({ field: 'querystring.from', code: 'range' }),
    ]);
    const later = await t.request({ url: `/v1/models/shadow-report?from=${new Date(T0 + 1).toISOString()}` });
    expect(later.json().transactions).toBe(5); // the burst's last five; the others happened at T0

    await t.request({ method: 'DELETE', url: '/v1/models/shadow' });
    const none = await t.request({ url: '/v1/models/shadow-report' });
    expect(none.statusCode).toBe(404);
    expect((await t.request({ url: '/v1/models/shadow-report?version=v2' })).json().transactions).toBe(
      all.length,
    );
    expect((await t.request({ url: '/v1/models/shadow-report?from=yesterday' })).statusCode).toBe(400);
  });

  it('rolls back to the previously active version', async () => {
    await t.request({ method: 'POST', url: '/v1/models/v2/activate' });
    expect((await t.post({ account_id: 'm-4', amount: 5 })).json().model_version).toBe('v2');
    const rolled = await t.request({ method: 'POST', url: '/v1/models/rollback' });
    expect(rolled.json()).toMatchObject({ version: 'v1', role: 'active' });
    expect((await t.post({ account_id: 'm-5', amount: 5 })).json().model_version).toBe('v1');
    expect((await t.request({ method: 'POST', url: '/v1/models/v9/activate' })).statusCode).toBe(404);
    // A second rollback goes further back, never to the version just left (it flipped back to v2).
    const again = await t.request({ method: 'POST', url: '/v1/models/rollback' });
    expect([again.statusCode, again.json().error?.code]).toEqual([409, 'CONFLICT']);
    expect((await t.post({ account_id: 'm-6', amount: 5 })).json().model_version).toBe('v1');
    // Activating a version again puts it back in the history: rolling back from it returns to v1.
    await t.request({ method: 'POST', url: '/v1/models/v2/activate' });
    const back = await t.request({ method: 'POST', url: '/v1/models/rollback' });
    expect(back.json()).toMatchObject({ version: 'v1', role: 'active' });
  });
});

describe('analyst labels', () => {
  it('stores a label with who and when, shown with the transaction', async () => {
    await t.post({ transaction_id: 'lab-1', account_id: 'l-1', amount: 5 });
    const res = await t.request({
      method: 'POST',
      url: '/v1/transactions/lab-1/label',
      payload: { label: 'fraud' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().label).toMatchObject({ label: 'fraud', labelled_by: 'env-admin' });
    await t.request({ method: 'POST', url: '/v1/transactions/lab-1/label', payload: { label: 'legit' } });
    expect((await t.request({ url: '/v1/transactions?account_id=l-1' })).json().items[0].label.label).toBe(
      'legit',
    );
    const unknown = await t.request({
      method: 'POST',
      url: '/v1/transactions/nope/label',
      payload: { label: 'fraud' },
    });
    expect(unknown.statusCode).toBe(404);
    const bad = await t.request({
      method: 'POST',
      url: '/v1/transactions/lab-1/label',
      payload: { label: 'maybe' },
    });
    expect([bad.statusCode, bad.json().error.details[0].field]).toEqual([400, 'label']);
  });
});
