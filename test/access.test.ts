import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiKeyService } from '../src/auth/api-key.service.js';
import { SCOPES, type Scope } from '../src/auth/scopes.js';
import { openStore } from '../src/store/database.js';
import { startTestService, type TestService } from './helpers.js';

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
interface Operation {
  readonly method: Method;
  readonly path: string;
  readonly url: string;
  readonly access: Scope | 'public';
}

let t: TestService;
let base: string;
let doc: { paths: Record<string, Record<string, Record<string, unknown>>> };
const keyOf = new Map<Scope, string>();

beforeAll(async () => {
  t = await startTestService();
  for (const scope of SCOPES) {
    keyOf.set(scope, (await t.service.keys.create({ name: `only-${scope}`, scopes: [scope] })).key);
  }
  base = await t.service.app.listen({ port: 0, host: '127.0.0.1' });
  const published = await fetch(`${base}/docs/json`);
  expect(published.status).toBe(200);
  doc = (await published.json()) as typeof doc;
});
afterAll(() => t.destroy());

it('documents only real query parameters (none named after a schema keyword)', () => {
  const names = Object.values(doc.paths).flatMap((methods) =>
    Object.values(methods).flatMap((op) =>
      ((op.parameters ?? []) as { in: string; name: string }[])
        .filter((p) => p.in === 'query')
        .map((p) => p.name),
    ),
  );
  expect(names).toContain('limit');
  expect(names).not.toContain('type');
  expect(names).not.toContain('additionalProperties');
});

/** Every operation of the OpenAPI document, with a concrete URL and its required scope. */
function operations(): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase() as Method,
      path,
      url: path.replace(/\{[^}]+\}/g, 'zz-no-such-id'),
      access: op['x-required-scope'] as Scope | 'public',
    })),
  );
}

/**
 * One request to `op` over HTTP; resolves with the status as soon as the headers arrive
 * (streaming routes such as server-sent events never end). Bodies are sent with a content
 * type no route parses: the key and scope are checked before the body is read, so a 415
 * proves the request got past them without running handlers that start real work.
 */
async function call(op: Operation, key?: string): Promise<{ status: number; code?: string }> {
  const hasBody = op.method !== 'GET' && op.method !== 'DELETE';
  const abort = new AbortController();
  const response = await fetch(`${base}${op.url}`, {
    method: op.method,
    signal: abort.signal,
    headers: {
      ...(key === undefined ? {} : { 'x-api-key': key }),
      ...(hasBody ? { 'content-type': 'application/x-access-probe' } : {}),
    },
    ...(hasBody ? { body: 'probe' } : {}),
  });
  const json = response.headers.get('content-type')?.startsWith('application/json') === true;
  const body =
    json && response.status >= 400 ? ((await response.json()) as { error?: { code: string } }) : undefined;
  abort.abort();
  return { status: response.status, code: body?.error?.code };
}

/** Reads that need no id, body or query: with the right scope they must succeed, not merely pass. */
function succeedsWithoutInput(op: Operation): boolean {
  return op.method === 'GET' && !op.path.includes('{') && !NEEDS_STATE.has(op.path);
}

/** GET routes whose answer depends on state this test does not create. */
const NEEDS_STATE = new Set(['/v1/models/shadow-report']);

async function scopeProblems(op: Operation, scope: Scope, label: string): Promise<string[]> {
  const answer = await call(op, keyOf.get(scope));
  const allowed = scope === op.access || scope === 'admin';
  if (allowed && (answer.status === 401 || answer.status === 403 || answer.status >= 500)) {
    return [`${label}: scope ${scope} answered ${answer.status}`];
  }
  if (allowed && succeedsWithoutInput(op) && (answer.status < 200 || answer.status > 299)) {
    return [`${label}: scope ${scope} should succeed, got ${answer.status} ${answer.code ?? ''}`];
  }
  if (!allowed && (answer.status !== 403 || answer.code !== 'FORBIDDEN')) {
    return [`${label}: scope ${scope} gave ${answer.status}`];
  }
  return [];
}

describe('access control, derived from the OpenAPI document', () => {
  it('publishes a required scope for every route', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(20);
    for (const op of ops) expect([...SCOPES, 'public'], `${op.method} ${op.path}`).toContain(op.access);
    expect(ops.find((o) => o.path === '/healthz')?.access).toBe('public');
    expect(ops.find((o) => o.path === '/v1/audit')?.access).toBe('admin');
    expect(ops.filter(succeedsWithoutInput).length).toBeGreaterThanOrEqual(15);
  });

  it('answers 401 without a key, 403 with every wrong scope, and lets the right scope and admin in', async () => {
    const problems: string[] = [];
    for (const op of operations()) {
      const label = `${op.method} ${op.path} (${op.access})`;
      if (op.access === 'public') {
        const open = await call(op);
        if (open.status === 401 || open.status === 403) problems.push(`${label}: public gave ${open.status}`);
        continue;
      }
      const anonymous = await call(op);
      if (anonymous.status !== 401 || anonymous.code !== 'UNAUTHORIZED') {
        problems.push(`${label}: no key gave ${anonymous.status}`);
      }
      const bogus = await call(op, 'cnt_abcdefabcdef_not-a-real-secret-not-a-real-secret-xx');
      if (bogus.status !== 401) problems.push(`${label}: unknown key gave ${bogus.status}`);
      for (const scope of SCOPES) problems.push(...(await scopeProblems(op, scope, label)));
    }
    expect(problems).toEqual([]);
  });

  it('accepts the key as Authorization: Bearer too', async () => {
    const res = await t.service.app.inject({
      method: 'GET',
      url: '/v1/rules',
      headers: { authorization: `Bearer ${keyOf.get('rules:read')}` },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('key lifetime', () => {
  it('refuses an expired key', async () => {
    const { key } = await t.service.keys.create({
      name: 'short',
      scopes: ['rules:read'],
      expiresAt: Date.now() + 150,
    });
    const get = () => t.request({ method: 'GET', url: '/v1/rules', headers: { 'x-api-key': key } });
    expect((await get()).statusCode).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const expired = await get();
    expect(expired.statusCode).toBe(401);
    expect(expired.json().error.code).toBe('UNAUTHORIZED');
  });

  it('refuses a revoked key at once, also when another process revokes it', async () => {
    const { key, id } = await t.service.keys.create({ name: 'revoke-me', scopes: ['rules:read'] });
    const get = () => t.request({ method: 'GET', url: '/v1/rules', headers: { 'x-api-key': key } });
    expect((await get()).statusCode).toBe(200);
    // Another connection and another key service, as `centinela keys revoke` in another process.
    const other = openStore({ url: t.config.databaseUrl });
    try {
      await new ApiKeyService(other.db).revoke(id);
    } finally {
      await other.close();
    }
    expect((await get()).statusCode).toBe(401);
  });

  it('lets a keys:admin key give and revoke only scopes it holds', async () => {
    const { key, id: ownId } = await t.service.keys.create({
      name: 'key-keeper',
      scopes: ['keys:admin', 'rules:read'],
    });
    const asKeeper = (method: 'POST' | 'DELETE', url: string, payload?: object) =>
      t.request({ method, url, headers: { 'x-api-key': key }, ...(payload && { payload }) });
    // It cannot make itself an admin key, nor revoke one.
    const escalate = await asKeeper('POST', '/v1/keys', { name: 'esc', scopes: ['admin'] });
    expect(escalate.statusCode).toBe(403);
    expect(escalate.json().error).toMatchObject({
      code: 'FORBIDDEN',
      message: 'This key cannot give scopes it does not hold: admin.',
      details: { field: 'scopes', beyond: ['admin'] },
    });
    const admin = await t.service.keys.create({ name: 'an-admin', scopes: ['admin'] });
    expect((await asKeeper('DELETE', `/v1/keys/${admin.id}`)).statusCode).toBe(403);
    // Within its own scopes it may.
    const reader = await asKeeper('POST', '/v1/keys', { name: ' reader ', scopes: ['rules:read'] });
    expect([reader.statusCode, reader.json().name]).toEqual([201, 'reader']);
    expect((await asKeeper('DELETE', `/v1/keys/${reader.json().id}`)).statusCode).toBe(204);
    expect((await asKeeper('DELETE', `/v1/keys/${ownId}`)).statusCode).toBe(204);
    // Nor outlive it, nor send more requests than it may.
    const limited = await t.service.keys.create({
      name: 'limited-keeper',
      scopes: ['keys:admin', 'rules:read'],
      expiresAt: Date.now() + 3_600_000,
      rateLimitPerMinute: 600,
    });
    const asLimited = (payload: object) =>
      t.request({ method: 'POST', url: '/v1/keys', headers: { 'x-api-key': limited.key }, payload });
    const inherits = await asLimited({ name: 'child', scopes: ['rules:read'] });
    expect(inherits.json()).toMatchObject({ expires_at: limited.expires_at, rate_limit_per_minute: 600 });
    const later = await asLimited({ name: 'c', scopes: ['rules:read'], expires_at: '2099-01-01T00:00:00Z' });
    expect([later.statusCode, later.json().error.details.field]).toEqual([403, 'expires_at']);
    const faster = await asLimited({ name: 'c', scopes: ['rules:read'], rate_limit_per_minute: 601 });
    expect([faster.statusCode, faster.json().error.details.field]).toEqual([403, 'rate_limit_per_minute']);
    // A blank name and a key that would be expired already are refused.
    const blank = await t.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: '  ', scopes: ['rules:read'] },
    });
    expect([blank.statusCode, blank.json().error.details[0].field]).toEqual([400, 'name']);
    const past = await t.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'late', scopes: ['rules:read'], expires_at: '2020-01-01T00:00:00Z' },
    });
    expect([past.statusCode, past.json().error.details[0].field]).toEqual([400, 'expires_at']);
  });

  it('says what is wrong with a name, in the same words as `centinela keys create`', async () => {
    const create = (name: string) =>
      t.request({ method: 'POST', url: '/v1/keys', payload: { name, scopes: ['rules:read'] } });
    for (const [name, code, message] of [
      ['x'.repeat(200), 'maxLength', 'name is too long: 200 characters, at most 100.'],
      ['😀'.repeat(101), 'maxLength', 'name is too long: 101 characters, at most 100.'],
      ['', 'blank', 'name must not be blank.'],
      ['   ', 'blank', 'name must not be blank.'],
    ] as const) {
      const res = await create(name);
      expect([res.statusCode, res.json().error], name).toEqual([
        400,
        { code: 'VALIDATION_FAILED', message, details: [{ field: 'name', code, message }] },
      ]);
    }
    expect((await create('😀'.repeat(100))).statusCode).toBe(201);
  });

  it('revokes through the API at once', async () => {
    const { key, id } = await t.service.keys.create({ name: 'api-revoke', scopes: ['rules:read'] });
    const get = () => t.request({ method: 'GET', url: '/v1/rules', headers: { 'x-api-key': key } });
    expect((await get()).statusCode).toBe(200);
    expect((await t.request({ method: 'DELETE', url: `/v1/keys/${id}` })).statusCode).toBe(204);
    expect((await get()).statusCode).toBe(401);
  });
});

describe('audit log', () => {
  it('records key, rule and model changes, filterable, readable by admin only', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'audited', scopes: ['transactions:read'] },
    });
    const keyId = created.json().id as string;
    await t.request({ method: 'DELETE', url: `/v1/keys/${keyId}` });
    const rules = await t.request({ method: 'GET', url: '/v1/rules' });
    const saved = await t.request({
      method: 'POST',
      url: '/v1/rules',
      payload: { ...rules.json().document, name: 'v2' },
    });
    expect(saved.statusCode).toBe(201);
    await t.request({ method: 'POST', url: '/v1/rules/versions/1/activate' });
    await t.request({ method: 'POST', url: '/v1/models/rollback' });

    const all = (await t.request({ method: 'GET', url: '/v1/audit' })).json().items as {
      action: string;
      target: string;
      actor: string;
      details: unknown;
    }[];
    const actions = all.map((e) => `${e.action}:${e.target}`);
    expect(actions).toEqual(
      expect.arrayContaining([
        `keys.create:${keyId}`,
        `keys.revoke:${keyId}`,
        'rules.save:2',
        'rules.activate:1',
      ]),
    );
    const mine = all.filter((e) => e.target === keyId || e.action.startsWith('rules.'));
    expect(mine.every((e) => e.actor === 'env-admin')).toBe(true);
    expect(JSON.stringify(all)).not.toContain(created.json().key);
    expect(actions).not.toContain('models.rollback'); // refused (409): nothing changed, nothing recorded

    const onlyRevokes = (await t.request({ method: 'GET', url: '/v1/audit?action=keys.revoke' })).json()
      .items;
    expect(onlyRevokes.map((e: { target: string }) => e.target)).toContain(keyId);
    expect(onlyRevokes.every((e: { action: string }) => e.action === 'keys.revoke')).toBe(true);
    const future = new Date(Date.now() + 60_000).toISOString();
    expect((await t.request({ method: 'GET', url: `/v1/audit?from=${future}` })).json().items).toEqual([]);
    const page = await t.request({ method: 'GET', url: '/v1/audit?limit=2' });
    const next = await t.request({
      method: 'GET',
      url: `/v1/audit?limit=2&cursor=${page.json().next_cursor}`,
    });
    expect(next.json().items[0].id < page.json().items[1].id).toBe(true);

    const denied = await t.request({
      method: 'GET',
      url: '/v1/audit',
      headers: { 'x-api-key': keyOf.get('keys:admin') },
    });
    expect(denied.statusCode).toBe(403);
  });
});

describe('limits', () => {
  it('rate-limits per key with 429 and Retry-After, other keys unaffected', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'slow', scopes: ['rules:read'], rate_limit_per_minute: 3 },
    });
    const slow = created.json().key as string;
    const get = (key: string) =>
      t.request({ method: 'GET', url: '/v1/rules', headers: { 'x-api-key': key } });
    for (let i = 0; i < 3; i++) expect((await get(slow)).statusCode).toBe(200);
    const limited = await get(slow);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(20);
    expect((await get(keyOf.get('rules:read')!)).statusCode).toBe(200);
  });

  it('refuses bodies over the limit with 413 before parsing them', async () => {
    const big = { account_id: 'acc-big', amount: 1, note: 'x'.repeat(1_100_000) };
    const res = await t.post(big);
    expect(res.statusCode).toBe(413);
    expect(res.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });
});

describe('request timeout', () => {
  it('answers 408 to a client that does not finish its request in time', async () => {
    const { connect } = await import('node:net');
    const slow = await startTestService({ requestTimeoutMs: 300 });
    try {
      const address = await slow.service.app.listen({ port: 0, host: '127.0.0.1' });
      const port = Number(new URL(address).port);
      const started = Date.now();
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(port, '127.0.0.1', () =>
          socket.write('POST /v1/transactions HTTP/1.1\r\nHost: x\r\n'),
        );
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString()));
        socket.on('close', () => resolve(text));
      });
      expect(answer).toMatch(/^HTTP\/1\.1 408/);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await slow.destroy();
    }
  });
});
