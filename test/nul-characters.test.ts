import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { availableDialects, serviceForSuite } from './dialects.js';

const dialects = await availableDialects();

/** PostgreSQL cannot store U+0000; both dialects refuse it alike, field by field, and store nothing. */
describe.each(dialects)('the NUL character in input (%s)', (dialect) => {
  const service = serviceForSuite(dialect);
  const request = (options: InjectOptions) => service().request(options);

  const refusal = (res: { statusCode: number; json(): unknown }) => ({
    status: res.statusCode,
    error: (res.json() as { error: { code: string; details: { field: string; code: string }[] } }).error,
  });

  it.each([
    ['an id', { account_id: 'a\u0000b', amount: 10 }, 'account_id'],
    ['a label', { account_id: 'a', amount: 10, channel: 'web\u0000' }, 'channel'],
    [
      'an unknown field, nested',
      { account_id: 'a', amount: 10, extra: { notes: ['ok', 'x\u0000'] } },
      'extra.notes.1',
    ],
    ['a field name', { account_id: 'a', amount: 10, 'odd\u0000name': 1 }, 'odd\u0000name'],
  ])('refuses a transaction with it in %s', async (_, payload, field) => {
    for (const url of ['/v1/transactions', '/v1/transactions?mode=async', '/transaction']) {
      const answer = refusal(await request({ method: 'POST', url, payload }));
      expect(answer.status, url).toBe(400);
      expect(answer.error.code, url).toBe('VALIDATION_FAILED');
      expect(answer.error.details, url).toContainEqual(
        expect.objectContaining({ field, code: 'nul_character' }),
      );
    }
    const stored = await request({ method: 'GET', url: '/v1/transactions?limit=10' });
    expect(stored.json()).toMatchObject({ items: [] });
  });

  it('refuses it in a path or query parameter, and in any route body', async () => {
    const byId = refusal(await request({ method: 'GET', url: '/v1/transactions/a%00b' }));
    expect(byId).toMatchObject({ status: 400, error: { details: [{ field: 'params.id' }] } });
    const listed = refusal(await request({ method: 'GET', url: '/v1/transactions?account_id=%00' }));
    expect(listed).toMatchObject({ status: 400, error: { details: [{ field: 'querystring.account_id' }] } });
    const key = refusal(
      await request({ method: 'POST', url: '/v1/keys', payload: { name: 'k\u0000', scopes: ['admin'] } }),
    );
    expect(key).toMatchObject({
      status: 400,
      error: { details: [{ field: 'name', code: 'nul_character' }] },
    });
  });

  it('still accepts the same payloads without it', async () => {
    const answer = await service().post({
      account_id: 'a b',
      amount: 10,
      channel: 'web',
      extra: { notes: ['ok'] },
    });
    expect(answer.statusCode).toBe(200);
    expect((await request({ method: 'GET', url: '/v1/transactions/a%20b' })).statusCode).toBe(404);
  });
});
