import { describe, expect, it } from 'vitest';
import { DEFAULT_RULE_SET } from '../src/rules/default-rules.js';
import { insertRuleSet } from '../src/rules/rule-set.repository.js';
import { availableDialects, serviceForSuite } from './dialects.js';

const dialects = await availableDialects();

/** Rule set versions through the API, on each store (black-box probe findings). */
describe.each(dialects)('rule set versions through the API (%s)', (dialect) => {
  const t = serviceForSuite(dialect);
  const save = (document: object, query = '') =>
    t().request({ method: 'POST', url: `/v1/rules${query}`, payload: document });
  const auditOf = async (action: string) =>
    (await t().request({ url: `/v1/audit?action=${action}&limit=1000` })).json<{
      items: { target: string; details: Record<string, unknown> }[];
    }>().items;

  it('lists a page of summaries without documents, newest first, with next_cursor null on the last page', async () => {
    for (let i = 2; i <= 5; i++) await save({ ...DEFAULT_RULE_SET, name: `v${i}` }, '?activate=false');
    const first = await t().request({ url: '/v1/rules/versions?limit=2' });
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      items: [
        {
          version: 5,
          name: 'v5',
          active: false,
          created_at: expect.any(String),
          created_by: 'env-admin',
          activated_at: null,
          rules: DEFAULT_RULE_SET.rules.length,
        },
        expect.objectContaining({ version: 4 }),
      ],
      next_cursor: '4',
    });
    const versions: number[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const url: string = `/v1/rules/versions?limit=2${cursor === '' ? '' : `&cursor=${cursor}`}`;
      const page = (await t().request({ url })).json<{
        items: { version: number }[];
        next_cursor: string | null;
      }>();
      versions.push(...page.items.map((v) => v.version));
      cursor = page.next_cursor;
    }
    expect(versions).toEqual([5, 4, 3, 2, 1]); // five in pages of 2, 2 and 1; no empty page
    const all = (await t().request({ url: '/v1/rules/versions' })).json();
    expect([all.items.length, all.next_cursor]).toEqual([5, null]);
    expect(all.items[4]).toMatchObject({ version: 1, active: true, created_by: 'system' });
    const full = (await t().request({ url: '/v1/rules/versions?limit=5' })).json();
    expect(full.next_cursor).toBeNull(); // a full last page
    const beyond = (await t().request({ url: '/v1/rules/versions?cursor=9999999999999999' })).json();
    expect(beyond.items.map((v: { version: number }) => v.version)).toEqual([5, 4, 3, 2, 1]);
    expect((await t().request({ url: '/v1/rules/versions?cursor=1' })).json()).toEqual({
      items: [],
      next_cursor: null,
    });
  });

  it.each([
    ['limit=0', 'querystring.limit', 'minimum'],
    ['limit=501', 'querystring.limit', 'maximum'],
    ['limit=1e1', 'querystring.limit', 'type'],
    ['cursor=abc', 'querystring.cursor', 'pattern'],
    ['cursor=-1', 'querystring.cursor', 'pattern'],
  ])('refuses versions?%s', async (query, field, code) => {
    const answer = await t().request({ url: `/v1/rules/versions?${query}` });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field, code }] });
  });

  it('reads :version as plain decimal digits only, within a safe integer', async () => {
    const loose = ['0x1', '1e1', '+1', '01', '1.0', 'Infinity', '-1', '0', ' 1', '9007199254740993'];
    for (const version of loose) {
      for (const [method, url] of [
        ['GET', `/v1/rules/versions/${encodeURIComponent(version)}`],
        ['POST', `/v1/rules/versions/${encodeURIComponent(version)}/activate`],
      ] as const) {
        const answer = await t().request({ method, url });
        expect(answer.statusCode, `${method} ${version}`).toBe(400);
        expect(answer.json().error, `${method} ${version}`).toMatchObject({
          code: 'VALIDATION_FAILED',
          details: [expect.objectContaining({ field: 'params.version' })],
        });
      }
    }
    expect((await t().request({ url: '/v1/rules/versions/1' })).json()).toMatchObject({
      version: 1,
      document: { rules: expect.any(Array) },
    });
    for (const version of ['10', '2147483648', '9007199254740991']) {
      const answer = await t().request({ url: `/v1/rules/versions/${version}` });
      expect([answer.statusCode, answer.json().error.message]).toEqual([
        404,
        `Rule set version ${version} does not exist.`,
      ]);
      const activate = await t().request({ method: 'POST', url: `/v1/rules/versions/${version}/activate` });
      expect(activate.statusCode).toBe(404);
    }
  });

  it('records the activation a save makes, and the version active before every activation', async () => {
    const active = (await t().request({ url: '/v1/rules' })).json().version as number;
    const saved = (await save({ ...DEFAULT_RULE_SET, name: 'audited' })).json().version as number;
    const kept = (await save({ ...DEFAULT_RULE_SET, name: 'kept' }, '?activate=false')).json()
      .version as number;
    await t().request({ method: 'POST', url: `/v1/rules/versions/${active}/activate` });
    const activations = await auditOf('rules.activate');
    expect(activations.slice(0, 2).map((e) => [e.target, e.details])).toEqual([
      [String(active), { previous: saved }],
      [String(saved), { previous: active }],
    ]);
    expect(activations.map((e) => e.target)).not.toContain(String(kept));
    const saves = await auditOf('rules.save');
    expect(saves.slice(0, 2).map((e) => [e.target, e.details])).toEqual([
      [String(kept), { name: 'kept', activated: false }],
      [String(saved), { name: 'audited', activated: true }],
    ]);
  });

  it('shows a stored version that is not JSON as unreadable, and still refuses to activate it', async () => {
    const version = await insertRuleSet(t().service.store.db, {
      name: 'by hand',
      document: '{"rules": [',
      createdBy: 'test',
      activate: false,
      now: Date.now(),
    });
    const shown = await t().request({ url: `/v1/rules/versions/${version}` });
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toMatchObject({
      version,
      document: null,
      problem: expect.stringMatching(/^the stored document is not JSON: /),
    });
    const listed = (await t().request({ url: '/v1/rules/versions?limit=1' })).json().items[0];
    expect(listed).toMatchObject({ version, rules: 0 });
    const activate = await t().request({ method: 'POST', url: `/v1/rules/versions/${version}/activate` });
    expect([activate.statusCode, activate.json().error.code]).toEqual([400, 'RULESET_INVALID']);
  });

  it('refuses a rule message over 500 characters and a rule name that is not short text, naming them', async () => {
    const [first, ...rest] = DEFAULT_RULE_SET.rules;
    const answer = await save({
      ...DEFAULT_RULE_SET,
      rules: [{ ...first, name: { a: [1, 2] } }, { ...rest[0], message: 'm'.repeat(501) }, ...rest.slice(1)],
    });
    expect(answer.statusCode).toBe(400);
    expect(answer.json().error).toMatchObject({
      code: 'RULESET_INVALID',
      details: [
        { field: 'rules[0].name', code: 'type' },
        { field: 'rules[1].message', code: 'maxLength' },
      ],
    });
  });

  it('refuses to save a rule set over 1 MiB as JSON, from any caller', async () => {
    const big = {
      ...DEFAULT_RULE_SET,
      lists: { deny_accounts: Array.from({ length: 110_000 }, (_, i) => `acc-${i}`) },
    };
    expect(Buffer.byteLength(JSON.stringify(big))).toBeGreaterThan(1024 * 1024);
    await expect(t().service.rules.save(big, 'test')).rejects.toMatchObject({
      code: 'RULESET_INVALID',
      details: [{ field: '', code: 'too_large' }],
      message: expect.stringContaining('at most 1048576 (1 MiB)'),
    });
  });
});
