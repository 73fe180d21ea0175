import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { startTestService, type TestService } from './helpers.js';

/**
 * Routes that read no body (actions and deletes) refuse one, naming its fields, as routes with
 * a body refuse unknown fields; no body and `{}` are accepted (black-box probe finding: the
 * body was ignored and the action done).
 */
describe('a body sent to a route that reads none', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(() => t.destroy());

  const activeVersion = async () =>
    (await t.request({ url: '/v1/rules' })).json<{ version: number }>().version;
  const activate = (version: number, payload?: unknown) =>
    t.request({
      method: 'POST',
      url: `/v1/rules/versions/${version}/activate`,
      ...(payload === undefined
        ? {}
        : { payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } }),
    });

  it('is refused with 400 naming each field, and the action is not done', async () => {
    const saved = await t.request({
      method: 'POST',
      url: '/v1/rules?activate=false',
      payload: DEFAULT_RULE_SET,
    });
    const version = saved.json<{ version: number }>().version;
    const res = await activate(version, { version: 1, dry_run: true });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [
        { field: 'version', code: 'additionalProperties', message: expect.stringContaining('reads no body') },
        { field: 'dry_run', code: 'additionalProperties' },
      ],
    });
    expect(await activeVersion()).toBe(1);
  });

  it('refuses a body that is not an object, naming the body itself', async () => {
    for (const payload of [[1], 'x', 5, true]) {
      const res = await t.request({
        method: 'POST',
        url: '/v1/models/rollback',
        payload: JSON.stringify(payload),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.details).toEqual([
        { field: '', code: 'type', message: 'The body must be empty or {}: this route reads no body.' },
      ]);
    }
  });

  it('accepts no body and an empty object', async () => {
    const saved = await t.request({
      method: 'POST',
      url: '/v1/rules?activate=false',
      payload: DEFAULT_RULE_SET,
    });
    const version = saved.json<{ version: number }>().version;
    expect((await activate(version, {})).statusCode).toBe(200);
    expect(await activeVersion()).toBe(version);
    expect((await activate(1)).statusCode).toBe(200);
    expect(await activeVersion()).toBe(1);
    const key = (
      await t.request({
        method: 'POST',
        url: '/v1/keys',
        payload: { name: 'k', scopes: ['transactions:read'] },
      })
    ).json<{ id: string }>();
    const refused = await t.request({
      method: 'DELETE',
      url: `/v1/keys/${key.id}`,
      payload: { force: true },
    });
    expect(refused.json().error.details).toEqual([expect.objectContaining({ field: 'force' })]);
    expect((await t.request({ method: 'DELETE', url: `/v1/keys/${key.id}` })).statusCode).toBeLessThan(300);
  });
});
