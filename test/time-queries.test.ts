import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './helpers.js';

/**
 * `from`/`to` pass the schema's RFC 3339 check and are then read by one parser
 * (shared/iso-time.ts): a leap second passes the check, and `Date.parse` gave NaN for it.
 */
describe('from/to of every listing are read as ISO-8601 times', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(() => t.close());

  const leapSecond = '2026-12-31T23:59:60Z';

  it.each([
    ['/v1/transactions', 'from'],
    ['/v1/audit', 'to'],
    ['/v1/verifications', 'from'],
    ['/v1/structuring/alerts', 'to'],
  ])('%s refuses a %s it cannot place in time, naming it', async (url, field) => {
    const answer = await t.request({ url: `${url}?${field}=${leapSecond}` });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: `querystring.${field}`, code: 'format' }],
    });
  });

  it('refuses one in a shadow report and a backtest range', async () => {
    const report = await t.request({ url: `/v1/models/shadow-report?from=${leapSecond}` });
    expect(report.statusCode).toBe(400);
    const backtest = await t.request({
      method: 'POST',
      url: '/v1/rules/backtest',
      payload: { to: leapSecond },
    });
    expect([backtest.statusCode, backtest.json().error.details[0].field]).toEqual([400, 'to']);
  });

  it('still reads offsets and fractions', async () => {
    const answer = await t.request({ url: '/v1/transactions?from=2026-12-01T10:00:00.5%2B02:00' });
    expect(answer.statusCode).toBe(200);
  });

  it('refuses a leap second as a key expiry, and a structuring range of one', async () => {
    const key = await t.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'k', scopes: ['transactions:read'], expires_at: '2099-12-31T23:59:60Z' },
    });
    expect([key.statusCode, key.json().error.details[0].field]).toEqual([400, 'expires_at']);
    const run = await t.request({
      method: 'POST',
      url: '/v1/structuring/runs',
      payload: { from: leapSecond },
    });
    expect([run.statusCode, run.json().error.details[0].field]).toEqual([400, 'from']);
  });
});
