import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../test/helpers.js';

let t: TestService;
let scraper: string;
beforeAll(async () => {
  t = await startTestService();
  scraper = (await t.service.keys.create({ name: 'prometheus', scopes: ['metrics:read'] })).key;
});
afterAll(() => t.destroy());

const scrape = (headers: Record<string, string>) =>
  t.service.app.inject({ method: 'GET', url: '/metrics', headers });

describe('GET /metrics', () => {
  it('needs metrics:read (Prometheus sends it as a bearer token)', async () => {
    expect((await scrape({})).statusCode).toBe(401);
    const res = await scrape({ authorization: `Bearer ${scraper}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/plain');
  });

  it('counts requests by route pattern, decisions by outcome, rule hits and decision latency', async () => {
    await t.post({ transaction_id: 'm-1', account_id: 'acc-m', amount: 20_000 });
    await t.request({ method: 'GET', url: '/v1/transactions/m-1' });
    await t.request({ method: 'GET', url: '/v1/transactions/nope' });
    await t.service.transactions.idle();
    const text = (await scrape({ authorization: `Bearer ${scraper}` })).body;
    expect(text).toContain(
      'centinela_http_requests_total{method="POST",route="/v1/transactions",status="200"} 1',
    );
    expect(text).toContain(
      'centinela_http_requests_total{method="GET",route="/v1/transactions/:id",status="200"} 1',
    );
    expect(text).toContain(
      'centinela_http_requests_total{method="GET",route="/v1/transactions/:id",status="404"} 1',
    );
    expect(text).toMatch(
      /centinela_http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/v1\/transactions"\}/,
    );
    expect(text).toMatch(/centinela_decisions_total\{decision="(review|decline)"\} 1/);
    expect(text).toContain('centinela_rule_hits_total{rule_id="HIGH_AMOUNT"} 1');
    expect(text).toContain('centinela_decision_latency_seconds_count 1');
    expect(text).toContain('centinela_process_cpu_seconds_total');
  });

  it('reports the embedded queue as consumer lag, and no dead-letter stream (embedded has none)', async () => {
    const posting = Promise.all(
      Array.from({ length: 200 }, (_, i) => t.post({ account_id: `acc-lag-${i % 7}`, amount: 10 + i })),
    );
    await posting;
    await t.service.transactions.idle();
    const text = (await scrape({ 'x-api-key': scraper })).body;
    expect(text).toContain('centinela_consumer_lag{consumer="workers"} 0');
    expect(text).not.toContain('centinela_dead_letters{');
  });
});

describe('readiness and request ids', () => {
  it('/readyz reports the store, the rules, the models and the transport', async () => {
    const res = await t.service.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json().checks).toMatchObject({ store: 'ok', rules: 'ok', models: 'ok', transport: 'ok' });
  });

  it('returns the caller’s x-request-id, or a new one', async () => {
    const given = await t.request({
      method: 'GET',
      url: '/v1/rules',
      headers: { 'x-request-id': 'trace-123' },
    });
    expect(given.headers['x-request-id']).toBe('trace-123');
    const fresh = await t.request({ method: 'GET', url: '/v1/rules' });
    expect(fresh.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('puts the request id on error answers too: unauthenticated, unparseable body, unknown route', async () => {
    const headers = { 'x-request-id': 'trace-err' };
    const answers = await Promise.all([
      t.service.app.inject({ method: 'GET', url: '/v1/rules', headers }),
      t.request({
        method: 'POST',
        url: '/v1/transactions',
        headers: { ...headers, 'content-type': 'application/json' },
        payload: '{"amount": ',
      }),
      t.request({ method: 'GET', url: '/v1/nowhere', headers }),
    ]);
    expect(answers.map((a) => a.statusCode)).toEqual([401, 400, 404]);
    for (const answer of answers) expect(answer.headers['x-request-id']).toBe('trace-err');
  });
});
