import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './helpers.js';

/**
 * An exact-match filter given empty (`?account_id=`) is refused: the transactions listing
 * read it as no filter and answered every account's transactions.
 */
describe('list filters refuse empty text, naming the parameter', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
    const payment = { account_id: 'acc-1', amount: 10 };
    await t.request({ method: 'POST', url: '/v1/transactions', payload: payment });
  });
  afterAll(() => t.close());

  it.each([
    ['/v1/transactions', 'account_id'],
    ['/v1/audit', 'actor'],
    ['/v1/audit', 'action'],
    ['/v1/verifications', 'user_id'],
    ['/v1/structuring/alerts', 'run_id'],
    ['/v1/structuring/alerts', 'user_id'],
    ['/v1/structuring/alerts', 'merchant_id'],
  ])('%s?%s=', async (url, field) => {
    const answer = await t.request({ url: `${url}?${field}=` });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: `querystring.${field}`, code: 'minLength' }],
    });
  });

  it('still filters by a given account', async () => {
    const mine = await t.request({ url: '/v1/transactions?account_id=acc-1' });
    const other = await t.request({ url: '/v1/transactions?account_id=acc-2' });
    expect([mine.json().items.length, other.json().items.length]).toEqual([1, 0]);
  });
});
