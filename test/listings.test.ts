import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from './helpers.js';

/**
 * An exact-match filter given empty (`?account_id=`) is refused: the transactions listing
 * read it as no filter and answered every account's transactions.
 */
describe('listings: filters and pages', () => {
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
    ['/v1/models/shadow-report', 'version'],
  ])('%s?%s=', async (url, field) => {
    const answer = await t.request({ url: `${url}?${field}=` });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [{ field: `querystring.${field}`, code: 'minLength' }],
    });
  });

  it('gives no next_cursor on a full last page', async () => {
    await t.request({
      method: 'POST',
      url: '/v1/transactions',
      payload: { account_id: 'acc-1', amount: 20 },
    });
    const cursors = async (url: string) => {
      const seen: (string | null)[] = [];
      let next: string | null = '';
      while (next !== null) {
        const answer = await t.request({ url: next === '' ? url : `${url}&cursor=${next}` });
        const body = answer.json<{ items: unknown[]; next_cursor: string | null }>();
        seen.push(`${body.items.length}`, body.next_cursor === null ? null : 'cursor');
        next = body.next_cursor;
      }
      return seen;
    };
    expect(await cursors('/v1/transactions?account_id=acc-1&limit=2')).toEqual(['2', null]);
    expect(await cursors('/v1/transactions?account_id=acc-1&limit=1')).toEqual(['1', 'cursor', '1', null]);
    for (const name of ['a', 'b']) {
      const key = { name, scopes: ['transactions:read'] };
      await t.request({ method: 'POST', url: '/v1/keys', payload: key });
    }
    expect(await cursors('/v1/audit?action=keys.create&limit=2')).toEqual(['2', null]);
    expect(await cursors('/v1/audit?action=keys.create&limit=1')).toEqual(['1', 'cursor', '1', null]);
  });

  it('still filters by a given account', async () => {
    const mine = await t.request({ url: '/v1/transactions?account_id=acc-1' });
    const other = await t.request({ url: '/v1/transactions?account_id=acc-2' });
    expect([mine.json().items.length, other.json().items.length]).toEqual([2, 0]);
  });
});
