import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statusOf, type ErrorCode } from '../src/errors.js';
import { availableDialects, createTestStore, type TestStore } from './dialects.js';
import { ADMIN_KEY, startTestService, type TestService } from './helpers.js';

interface Parameter {
  readonly name: string;
  readonly in: string;
}
interface OpenApiOperation {
  readonly parameters?: readonly Parameter[];
  readonly requestBody?: { content?: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
}
interface Operation {
  readonly method: string;
  readonly path: string;
  readonly query: readonly string[];
  readonly fields: readonly string[] | null;
}

let t: TestService;
let base: string;
let operations: Operation[];
let tables: string[];

/** Starts the service on a fresh store of `dialect` and reads its routes and tables. */
async function start(dialect: 'sqlite' | 'postgres'): Promise<TestStore> {
  const store = await createTestStore(dialect);
  // With PostgreSQL the identity routes need a shared key (without one they answer 503 by design).
  t = await startTestService({ databaseUrl: store.url, encryptionKey: randomBytes(32).toString('base64') });
  base = await t.service.app.listen({ port: 0, host: '127.0.0.1' });
  const doc = (await (await fetch(`${base}/docs/json`)).json()) as {
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      query: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
      fields: jsonFields(op),
    })),
  );
  const listing =
    dialect === 'sqlite'
      ? sql<{
          name: string;
        }>`select name from sqlite_master where type = 'table' and name not like 'sqlite_%'`
      : sql<{ name: string }>`select table_name as name from information_schema.tables
          where table_schema = current_schema() and table_type = 'BASE TABLE'`;
  const rows = await listing.execute(t.service.store.db);
  tables = rows.rows
    .map((r) => r.name)
    .filter((name) => !name.startsWith('kysely_') && !ATTEMPT_LOGS.has(name));
  return store;
}

/** Property names of a JSON body, [] for a free-form body, null when the route takes no JSON body. */
function jsonFields(op: OpenApiOperation): string[] | null {
  const json = op.requestBody?.content?.['application/json'];
  if (!json) return null;
  return Object.keys(json.schema?.properties ?? {});
}

/**
 * Append-only logs that record refused attempts on purpose (a failed face verification is
 * itself a fraud signal, and may publish `verification.failed`): not "half-written" state.
 */
const ATTEMPT_LOGS = new Set(['audit_log', 'verifications', 'webhook_deliveries']);

/** Rows in every table but the attempt logs, in one query. */
async function rowCounts(): Promise<string> {
  const union = tables
    .map((name) => `select '${name}' as t, count(*) as n from "${name}"`)
    .join(' union all ');
  const result = await sql.raw<{ t: string; n: number }>(union).execute(t.service.store.db);
  return result.rows.map((r) => `${r.t}=${r.n}`).join(',');
}

const value = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(
    '',
    '2026-01-01T00:00:00Z',
    'not-a-date',
    '-1',
    '1e309',
    'NaN',
    '__proto__',
    '../../etc/passwd',
    '%00',
    'nul\u0000inside',
    'half\ud800pair',
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A body: arbitrary JSON, an object over the route's own fields, or text that is not JSON. */
function bodyFor(op: Operation) {
  const fields = op.fields ?? [];
  const shaped =
    fields.length > 0
      ? fc.dictionary(fc.constantFrom(...fields), value, { maxKeys: fields.length })
      : fc.object({ maxDepth: 2 });
  const transactionLike = fc.record(
    {
      transaction_id: fc.string({ maxLength: 10 }),
      account_id: fc.string({ maxLength: 10 }),
      amount: value,
      timestamp: value,
      currency: value,
      balance: value,
    },
    { requiredKeys: ['account_id', 'amount'] },
  );
  return fc.oneof(
    transactionLike.map((v) => ({ text: JSON.stringify(v) })),
    fc.jsonValue({ maxDepth: 3 }).map((v) => ({ text: JSON.stringify(v) ?? 'null' })),
    shaped.map((v) => ({ text: JSON.stringify(v) })),
    fc.string({ maxLength: 30 }).map((text) => ({ text })),
  );
}

/** A query string value: strings as they are, anything else as its JSON (objects may lack a prototype). */
function queryText(v: unknown): string {
  return typeof v === 'string' ? v : (JSON.stringify(v) ?? 'null');
}

function queryFor(op: Operation) {
  const names = [...op.query, 'unexpected'];
  return fc.dictionary(
    fc.constantFrom(...names),
    fc.oneof(fc.string({ maxLength: 10 }), value.map(queryText)),
    {
      maxKeys: 4,
    },
  );
}

const segment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 20 }),
  fc.integer().map(String),
  fc.constantFrom('0', '-1', '1.5', '%2F', 'null', 'nul\u0000'),
);

async function send(
  op: Operation,
  params: string[],
  query: Record<string, string>,
  body: { text: string } | null,
) {
  let i = 0;
  const path = op.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(params[i++] ?? 'x'));
  const qs = new URLSearchParams(query).toString();
  const abort = new AbortController();
  const response = await fetch(`${base}${path}${qs ? `?${qs}` : ''}`, {
    method: op.method,
    signal: abort.signal,
    headers: { 'x-api-key': ADMIN_KEY, ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: body.text } : {}),
  });
  const isJson = response.headers.get('content-type')?.includes('application/json') === true;
  const payload =
    (response.status >= 400 || response.status === 202) && isJson
      ? ((await response.json()) as { run_id?: string; error?: { code?: string } })
      : null;
  abort.abort();
  if (response.status === 202 && path === '/v1/structuring/runs' && payload?.run_id)
    await runEnded(payload.run_id);
  return { status: response.status, code: payload?.error?.code };
}

/** Waits for an accepted structuring run to end: it writes in the background, and would be counted as a later request's writes. */
async function runEnded(id: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const run = (await (
      await fetch(`${base}/v1/structuring/runs/${id}`, { headers: { 'x-api-key': ADMIN_KEY } })
    ).json()) as {
      status?: string;
    };
    if (run.status !== 'running') return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`structuring run ${id} still running after 30 s`);
}

/** The property of one route: never 5xx; a rejection has a known code that matches its status, and writes nothing. */
async function checkRoute(op: Operation, numRuns: number): Promise<void> {
  const withBody = op.method !== 'GET' && op.method !== 'DELETE';
  const arbitrary = fc.tuple(
    fc.array(segment, { minLength: 3, maxLength: 3 }),
    queryFor(op),
    withBody ? bodyFor(op) : fc.constant(null),
  );
  await fc.assert(
    fc.asyncProperty(arbitrary, async ([params, query, body]) => {
      const before = await rowCounts();
      const answer = await send(op, params, query, body);
      const where = `${op.method} ${op.path} ${JSON.stringify({ params, query, body })}`;
      expect(answer.status, where).toBeLessThan(500);
      if (answer.status < 400) return;
      expect(answer.code, where).toBeDefined();
      expect(statusOf(answer.code as ErrorCode), where).toBe(answer.status);
      expect(await rowCounts(), `nothing written by a rejected ${where}`).toBe(before);
      const again = await send(op, params, query, body);
      expect(again, `same answer again for ${where}`).toEqual(answer);
    }),
    { numRuns },
  );
}

describe.each(await availableDialects())('every JSON endpoint, fuzzed (%s)', (dialect) => {
  let store: TestStore;
  beforeAll(async () => {
    store = await start(dialect);
  });
  afterAll(async () => {
    await t.destroy();
    await store.drop();
  });

  it('never answers 5xx; every rejection has a stable code and leaves the store unchanged', async () => {
    expect(operations.length).toBeGreaterThan(20);
    for (const op of operations) await checkRoute(op, op.fields !== null || op.query.length > 0 ? 25 : 8);
  }, 120_000);

  it('answers INVALID_JSON to malformed JSON and UNSUPPORTED_MEDIA_TYPE to other types', async () => {
    const post = (body: string, type: string) =>
      fetch(`${base}/v1/transactions`, {
        method: 'POST',
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': type },
        body,
      });
    await fc.assert(
      fc.asyncProperty(
        fc.string({ minLength: 1, maxLength: 20 }).filter((s) => {
          try {
            JSON.parse(s);
            return false;
          } catch {
            return true;
          }
        }),
        async (text) => {
          const res = await post(text, 'application/json');
          expect(res.status).toBe(400);
          expect(((await res.json()) as { error: { code: string } }).error.code).toBe('INVALID_JSON');
        },
      ),
      { numRuns: 30 },
    );
    const xml = await post('<tx/>', 'application/xml');
    expect(xml.status).toBe(415);
    expect(((await xml.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('reads an empty body sent as JSON as no body: a route without one answers, one that needs one says so', async () => {
    const send = (method: string, url: string) =>
      fetch(`${base}${url}`, {
        method,
        headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json' },
      });
    const deleted = await send('DELETE', '/v1/webhooks/wh_nope');
    expect([deleted.status, ((await deleted.json()) as { error: { code: string } }).error.code]).toEqual([
      404,
      'NOT_FOUND',
    ]);
    const keys = await send('POST', '/v1/keys');
    expect(keys.status).toBe(400);
    expect(((await keys.json()) as { error: { details: unknown[] } }).error.details).toEqual([
      { field: '', code: 'type', message: 'The body must be object' },
    ]);
  });
});
