import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../test/helpers.js';
import type { Overview } from './stats.service.js';
import { rangeOf, ruleHitsOf } from './stats.service.js';

describe('GET /v1/stats/overview', () => {
  let t: TestService;
  let now: number;
  beforeAll(async () => {
    t = await startTestService();
    now = Date.now();
    const posts = [
      { account_id: 'a1', amount: 10, timestamp: now - 1000 },
      {
        account_id: 'a2',
        amount: 12_500,
        origin_country: 'ES',
        destination_country: 'FR',
        timestamp: now - 2000,
      },
      { account_id: 'a3', amount: 20_000, timestamp: now - 120_000 },
      { account_id: 'a4', amount: 5, timestamp: now - 3 * 3_600_000 },
    ];
    for (const body of posts) expect((await t.post(body)).statusCode).toBe(200);
  });
  afterAll(() => t.destroy());

  const get = async (url: string, key?: string) => {
    const response = await t.request({ method: 'GET', url, headers: key ? { 'x-api-key': key } : {} });
    return { status: response.statusCode, body: response.json<Overview>() };
  };

  it('counts decisions of the window by outcome and time bucket', async () => {
    const { status, body } = await get('/v1/stats/overview?window=1h');
    expect(status).toBe(200);
    expect(body.counts).toEqual({ approve: 1, review: 2, decline: 0, pending: 0, total: 3 });
    expect(body.timeline).toHaveLength(60);
    expect(body.bucket_ms).toBe(60_000);
    const sum = body.timeline.reduce((n, b) => n + b.approve + b.review + b.decline, 0);
    expect(sum).toBe(3);
    // The newest transactions in the buckets of their times (the last bucket, or the one before
    // it when they were posted in the first seconds of a minute).
    const bucketOf = (time: number) =>
      body.timeline.find((b) => b.t === new Date(Math.floor(time / 60_000) * 60_000).toISOString());
    expect(bucketOf(now - 1000)?.approve).toBeGreaterThan(0);
    expect(bucketOf(now - 2000)?.review).toBeGreaterThan(0);
    expect(body.timeline.slice(-2).some((b) => b.approve + b.review > 0)).toBe(true);
  });

  it('sums rule hits, bins risk scores and gives latency quantiles', async () => {
    const { body } = await get('/v1/stats/overview?window=24h');
    expect(body.counts.total).toBe(4);
    expect(body.rule_hits).toEqual([
      { rule_id: 'HIGH_AMOUNT', count: 2 },
      { rule_id: 'CROSS_BORDER', count: 1 },
    ]);
    expect(body.risk_histogram).toHaveLength(10);
    expect(body.risk_histogram.reduce((n, b) => n + b.count, 0)).toBe(4);
    expect(body.risk_histogram[0]!.count).toBe(2);
    expect(body.latency_ms!.p99).toBeGreaterThanOrEqual(body.latency_ms!.p50);
    expect(body.rules.version).toBe(1);
    expect(body.model).toEqual({ active: null, shadow: null });
    expect(body.dead_letters).toBeNull();
  });

  it('answers an empty window with zeros and no latency', async () => {
    const empty = await startTestService();
    try {
      const response = await empty.request({ method: 'GET', url: '/v1/stats/overview?window=15m' });
      const body = response.json<Overview>();
      expect(body.counts.total).toBe(0);
      expect(body.latency_ms).toBeNull();
      expect(body.timeline).toHaveLength(60);
    } finally {
      await empty.destroy();
    }
  });

  it('rejects an unknown window and a key without the dashboard scope', async () => {
    expect((await get('/v1/stats/overview?window=2y')).status).toBe(400);
    const created = await t.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'reader', scopes: ['transactions:read'] },
    });
    const { key } = created.json<{ key: string }>();
    expect((await get('/v1/stats/overview', key)).status).toBe(403);
  });
});

describe('stats helpers', () => {
  it('aligns a window on whole buckets ending after now', () => {
    const range = rangeOf('1h', Date.UTC(2026, 0, 1, 10, 30, 15));
    expect(range.to).toBe(Date.UTC(2026, 0, 1, 10, 31));
    expect(range.to - range.from).toBe(3_600_000);
  });

  it('counts a rule once per transaction and model reasons as "model"', () => {
    const reasons = (ids: string[]) => JSON.stringify(ids.map((rule_id) => ({ rule_id })));
    expect(
      ruleHitsOf([
        { reasons: reasons(['A', 'model:v1', 'model:v1']), n: 3 },
        { reasons: reasons(['B']), n: 5 },
      ]),
    ).toEqual([
      { rule_id: 'B', count: 5 },
      { rule_id: 'A', count: 3 },
      { rule_id: 'model', count: 3 },
    ]);
  });
});
