import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook } from '../src/webhooks/webhook-signature.js';
import { startTestService, tempDir, type TestService } from './helpers.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A local receiver answering `statusFor(n)` to its n-th request (1-based). */
async function receiver(statusFor: (n: number) => number) {
  const received: Received[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
      response.writeHead(statusFor(received.length)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { url, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

async function until(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const FAST = { webhookBackoffMs: 50, webhookMaxAttempts: 4 } as const;
const DECLINE_ALL = {
  name: 'decline-everything',
  rules: [
    {
      id: 'ALL',
      condition: 'amount > 0',
      message: 'test rule',
      severity: 'critical',
      score: 100,
      action: 'decline',
    },
  ],
};

let t: TestService;
beforeAll(async () => {
  t = await startTestService(FAST);
});
afterAll(() => t.destroy());

async function subscribe(service: TestService, url: string, events: string[]) {
  const res = await service.request({ method: 'POST', url: '/v1/webhooks', payload: { url, events } });
  expect(res.statusCode).toBe(201);
  return res.json<{ id: string; secret: string }>();
}

const deliveries = async (service: TestService, id: string) =>
  (await service.request({ method: 'GET', url: `/v1/webhooks/${id}/deliveries` })).json().items;

describe('webhooks', () => {
  it('signs each delivery, retries after 500s with backoff and logs every attempt', async () => {
    const hook = await receiver((n) => (n <= 2 ? 500 : 200));
    try {
      const { id, secret } = await subscribe(t, hook.url, ['transaction.decline', 'transaction.review']);
      expect((await t.request({ method: 'GET', url: '/v1/webhooks' })).json().items[0]).not.toHaveProperty(
        'secret',
      );
      expect((await t.request({ method: 'POST', url: '/v1/rules', payload: DECLINE_ALL })).statusCode).toBe(
        201,
      );
      const decided = await t.post({ transaction_id: 'wh-1', account_id: 'acc-wh', amount: 10 });
      expect(decided.json().decision).toBe('decline');

      await until(() => hook.received.length >= 3);
      const last = hook.received[2]!;
      const headers = {
        timestamp: last.headers['x-centinela-timestamp'] as string,
        signature: last.headers['x-centinela-signature'] as string,
      };
      expect(verifyWebhook(secret, headers, last.body)).toBe(true);
      expect(verifyWebhook('whsec_wrong', headers, last.body)).toBe(false);
      expect(verifyWebhook(secret, headers, `${last.body} `)).toBe(false);
      const event = JSON.parse(last.body);
      expect(event).toMatchObject({ event: 'transaction.decline', data: { transaction_id: 'wh-1' } });
      expect(last.headers['x-centinela-event']).toBe('transaction.decline');
      // The same event (same id) each attempt, so receivers can de-duplicate.
      expect(new Set(hook.received.map((r) => JSON.parse(r.body).id)).size).toBe(1);

      await until(async () => (await deliveries(t, id))[0]?.status === 'delivered');
      const [delivery] = await deliveries(t, id);
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 3, last_status_code: 200 });
      expect(delivery.payload.data.transaction_id).toBe('wh-1');
      const metrics = await t.request({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toMatch(
        /centinela_webhook_deliveries_total\{event="transaction.decline",outcome="retry"\} 2/,
      );
      expect((await t.request({ method: 'DELETE', url: `/v1/webhooks/${id}` })).statusCode).toBe(204);
    } finally {
      await hook.close();
    }
  });

  it('marks a delivery failed after the last attempt; emit() is there for other features', async () => {
    const hook = await receiver(() => 500);
    try {
      const { id } = await subscribe(t, hook.url, ['structuring.alert']);
      expect(await t.service.webhooks.emit('structuring.alert', { run_id: 'r1', account_id: 'a' })).toBe(1);
      expect(await t.service.webhooks.emit('verification.failed', { user_id: 'u' })).toBe(0);
      await until(async () => (await deliveries(t, id))[0]?.status === 'failed');
      expect((await deliveries(t, id))[0]).toMatchObject({ attempts: 4, last_status_code: 500 });
      expect(hook.received).toHaveLength(4);
      await t.request({ method: 'DELETE', url: `/v1/webhooks/${id}` });
    } finally {
      await hook.close();
    }
  });

  it('pages the delivery log with next_cursor, newest first, every delivery once', async () => {
    const hook = await receiver(() => 200);
    try {
      const { id } = await subscribe(t, hook.url, ['structuring.alert']);
      // Emitted together: several share a millisecond, so the cursor's id breaks the ties.
      for (let i = 0; i < 5; i++) await t.service.webhooks.emit('structuring.alert', { run_id: `page-${i}` });
      const seen: string[] = [];
      let url = `/v1/webhooks/${id}/deliveries?limit=2`;
      for (let page = 0; page < 5; page++) {
        const body = (await t.request({ method: 'GET', url })).json();
        seen.push(...body.items.map((d: { payload: { data: { run_id: string } } }) => d.payload.data.run_id));
        if (body.next_cursor === null) break;
        url = `/v1/webhooks/${id}/deliveries?limit=2&cursor=${encodeURIComponent(body.next_cursor)}`;
      }
      expect(seen).toEqual(['page-4', 'page-3', 'page-2', 'page-1', 'page-0']);
      const bad = await t.request({ method: 'GET', url: `/v1/webhooks/${id}/deliveries?cursor=yesterday` });
      expect([bad.statusCode, bad.json().error.details[0].field]).toEqual([400, 'querystring.cursor']);
      await t.request({ method: 'DELETE', url: `/v1/webhooks/${id}` });
    } finally {
      await hook.close();
    }
  });

  it("does not hold one subscriber's deliveries behind another's slow receiver", async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const slowServer = createServer((request, response) => {
      request.resume();
      void held.then(() => response.writeHead(200).end());
    });
    await new Promise<void>((resolve) => slowServer.listen(0, '127.0.0.1', resolve));
    const slowUrl = `http://127.0.0.1:${(slowServer.address() as AddressInfo).port}/slow`;
    const fast = await receiver(() => 200);
    const slow = await subscribe(t, slowUrl, ['verification.failed']);
    await subscribe(t, fast.url, ['verification.failed']);
    try {
      await t.service.webhooks.emit('verification.failed', { user_id: 'u-slow' });
      await until(() => fast.received.length >= 1, 3000); // the slow one is still unanswered
      expect((await deliveries(t, slow.id))[0].status).toBe('pending');
      await t.service.webhooks.emit('verification.failed', { user_id: 'u-next' });
      await until(() => fast.received.length >= 2, 3000);
    } finally {
      release();
      await until(async () =>
        (await deliveries(t, slow.id)).every((d: { status: string }) => d.status === 'delivered'),
      );
      slowServer.close();
      await fast.close();
    }
  });

  it('keeps pending deliveries across a restart and sends them after it', async () => {
    let up = false;
    const hook = await receiver(() => (up ? 200 : 503));
    const dir = tempDir();
    const first = await startTestService({ ...FAST, webhookBackoffMs: 300 }, dir);
    const { id } = await subscribe(first, hook.url, ['verification.failed']);
    await first.service.webhooks.emit('verification.failed', { user_id: 'u-1' });
    await until(() => hook.received.length >= 1);
    await first.close();
    up = true;
    const second = await startTestService(FAST, dir);
    try {
      await until(async () => (await deliveries(second, id))[0]?.status === 'delivered');
      expect((await deliveries(second, id))[0].attempts).toBeGreaterThanOrEqual(2);
    } finally {
      await second.destroy();
      await hook.close();
    }
  });

  it('refuses, by default, receivers on this host or a private network (SSRF), at subscription and at delivery', async () => {
    const hook = await receiver(() => 200);
    const dir = tempDir();
    const allowed = await startTestService(FAST, dir);
    const { id } = await subscribe(allowed, hook.url, ['verification.failed']);
    await allowed.close();
    const strict = await startTestService({ ...FAST, webhookAllowPrivateNetworks: false }, dir);
    try {
      for (const url of [
        'http://169.254.169.254/latest/meta-data',
        'http://127.0.0.1:9/hook',
        'http://localhost:9/hook',
        'http://[::1]/hook',
        'http://10.0.0.5/hook',
        'http://[::ffff:7f00:1]/hook',
        // IPv6 forms that carry a blocked IPv4 address
        'https://[64:ff9b::7f00:1]/x', // NAT64 of 127.0.0.1
        'https://[64:ff9b::a9fe:a9fe]/x', // NAT64 of the metadata service
        'https://[2002:7f00:1::]/x', // 6to4
        'https://[::127.0.0.1]/x', // IPv4-compatible
        'https://[::ffff:0:7f00:1]/x', // IPv4-translated
      ]) {
        const res = await strict.request({
          method: 'POST',
          url: '/v1/webhooks',
          payload: { url, events: ['transaction.decline'] },
        });
        expect([res.statusCode, res.json().error.details[0]], url).toEqual([
          400,
          expect.objectContaining({ field: 'url', code: 'private_address' }),
        ]);
      }
      // A subscription made while allowed is not delivered once refused: nothing is sent.
      await strict.service.webhooks.emit('verification.failed', { user_id: 'u-1' });
      await until(async () => (await deliveries(strict, id))[0]?.attempts >= 1);
      expect((await deliveries(strict, id))[0].last_error).toContain('private or reserved address');
      expect(hook.received).toHaveLength(0);
    } finally {
      await strict.destroy();
      await hook.close();
    }
  });

  it('refuses bad subscriptions with a stable code', async () => {
    const bad = async (payload: object) =>
      (await t.request({ method: 'POST', url: '/v1/webhooks', payload })).json().error.code;
    expect(await bad({ url: 'ftp://example.com/x', events: ['transaction.review'] })).toBe(
      'VALIDATION_FAILED',
    );
    expect(await bad({ url: 'http://127.0.0.1/x', events: ['nope'] })).toBe('VALIDATION_FAILED');
    expect(await bad({ url: 'http://127.0.0.1/x', events: [] })).toBe('VALIDATION_FAILED');
    const badUrls = [
      'http://user:pass@127.0.0.1:4151/', // fetch refuses credentials: every delivery would fail
      ' http://a.com/ ',
      'http:///x',
      'http:\\\\a.com\\x',
      'https://a.com/a b',
    ];
    for (const url of badUrls)
      expect(await bad({ url, events: ['transaction.review'] }), url).toBe('VALIDATION_FAILED');
    // Port 0 and hosts that are not DNS names: 400 naming url.
    for (const url of ['https://example.com:0/x', 'https://./x', 'https://-/x', 'https://a..b/x']) {
      const res = await t.request({
        method: 'POST',
        url: '/v1/webhooks',
        payload: { url, events: ['transaction.review'] },
      });
      expect([res.statusCode, res.json().error.details[0]], url).toEqual([
        400,
        expect.objectContaining({ field: 'url', code: 'format' }),
      ]);
    }
    const good = await t.request({
      method: 'POST',
      url: '/v1/webhooks',
      payload: { url: 'https://hooks.example.com:8443/centinela?team=ops#x', events: ['transaction.review'] },
    });
    expect(good.statusCode).toBe(201);
    await t.request({ method: 'DELETE', url: `/v1/webhooks/${good.json().id}` });
    const missing = await t.request({ method: 'GET', url: '/v1/webhooks/wh_nope/deliveries' });
    expect(missing.statusCode).toBe(404);
  });
});
