import type { InjectOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { MAX_NESTING } from '../src/shared/unstorable-text.js';
import { availableDialects, serviceForSuite } from './dialects.js';
import { multipart } from './identity-fixtures.js';

const dialects = await availableDialects();

/** JSON text of arrays nested `levels` deep (as an object, the test client's own JSON.stringify would overflow). */
const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

/**
 * Text no store keeps as sent (PostgreSQL cannot store U+0000; both stores turn a lone
 * surrogate into U+FFFD, merging distinct ids): both dialects refuse it alike, field by field,
 * and store nothing.
 */
describe.each(dialects)('unstorable text in input (%s)', (dialect) => {
  const service = serviceForSuite(dialect);
  const request = (options: InjectOptions) => service().request(options);

  const refusal = (res: { statusCode: number; json(): unknown }) => ({
    status: res.statusCode,
    error: (res.json() as { error: { code: string; details: { field: string; code: string }[] } }).error,
  });

  it.each([
    ['a NUL in an id', { account_id: 'a\u0000b', amount: 10 }, 'account_id', 'nul_character'],
    ['a NUL in a label', { account_id: 'a', amount: 10, channel: 'web\u0000' }, 'channel', 'nul_character'],
    [
      'a NUL in an unknown field, nested',
      { account_id: 'a', amount: 10, extra: { notes: ['ok', 'x\u0000'] } },
      'extra.notes[1]',
      'nul_character',
    ],
    [
      'a NUL in a field name',
      { account_id: 'a', amount: 10, 'odd\u0000name': 1 },
      'odd\u0000name',
      'nul_character',
    ],
    [
      'a lone surrogate in an id',
      { transaction_id: 'x\ud800', account_id: 'a', amount: 10 },
      'transaction_id',
      'lone_surrogate',
    ],
    [
      'a lone surrogate sent as an upper-case escape',
      '{"transaction_id": "x\\uDBFF", "account_id": "a", "amount": 10}',
      'transaction_id',
      'lone_surrogate',
    ],
    [
      'arrays nested 65 deep, the first too deep',
      `{"account_id": "a", "amount": 10, "extra": ${nestedArrays(MAX_NESTING + 1)}}`,
      'extra' + '[0]'.repeat(MAX_NESTING - 1),
      'too_deep',
    ],
    [
      'arrays nested 5,000 deep in an unknown field (storing it overflowed the stack: 500)',
      `{"account_id": "a", "amount": 10, "extra": ${nestedArrays(5000)}}`,
      'extra' + '[0]'.repeat(MAX_NESTING - 1),
      'too_deep',
    ],
  ])('refuses a transaction with %s', async (_, payload, field, code) => {
    for (const url of ['/v1/transactions', '/v1/transactions?mode=async', '/transaction']) {
      const headers = { 'content-type': 'application/json' };
      const answer = refusal(await request({ method: 'POST', url, payload, headers }));
      expect(answer.status, url).toBe(400);
      expect(answer.error.code, url).toBe('VALIDATION_FAILED');
      expect(answer.error.details, url).toContainEqual(expect.objectContaining({ field, code }));
    }
    const stored = await request({ method: 'GET', url: '/v1/transactions?limit=10' });
    expect(stored.json()).toMatchObject({ items: [] });
  });

  it('refuses it in a path or query parameter, in any route body and in a multipart field', async () => {
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
    const deepRules = refusal(
      await request({
        method: 'POST',
        url: '/v1/rules/validate',
        headers: { 'content-type': 'application/json' },
        payload: `{"name": "deep", "rules": [], "description": ${nestedArrays(5000)}}`,
      }),
    );
    expect(deepRules).toMatchObject({ status: 400, error: { details: [{ code: 'too_deep' }] } });
    const form = await multipart({ image: Buffer.from('not read') }, { movement: 'm\u0000' });
    const verify = refusal(await request({ method: 'POST', url: '/v1/identities/u1/verify', ...form }));
    expect(verify).toMatchObject({
      status: 400,
      error: { details: [{ field: 'movement', code: 'nul_character' }] },
    });
    const unknown = await request({ method: 'GET', url: '/v1/nowhere?x=%00' });
    expect(unknown.statusCode).toBe(404); // an unknown route stays unknown
  });

  it('refuses a raw NUL byte in JSON text as invalid JSON (only an escape can carry one)', async () => {
    const payload = '{"account_id": "a\u0000b", "amount": 10}';
    const headers = { 'content-type': 'application/json' };
    const answer = refusal(await request({ method: 'POST', url: '/v1/transactions', payload, headers }));
    expect(answer).toMatchObject({ status: 400, error: { code: 'INVALID_JSON' } });
  });

  it('still accepts the same payloads without it, whole surrogate pairs included', async () => {
    const payload = {
      transaction_id: 'ok 🦤',
      account_id: 'a b',
      amount: 10,
      channel: 'web',
      extra: { notes: ['ok'] },
    };
    expect((await service().post(payload)).statusCode).toBe(200);
    const stored = await request({ method: 'GET', url: `/v1/transactions/${encodeURIComponent('ok 🦤')}` });
    expect(stored.statusCode).toBe(200);
    expect(stored.json()).toMatchObject({ transaction_id: 'ok 🦤' });
  });
});
