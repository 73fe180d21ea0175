import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { handleError } from '../api/error-handler.js';
import { ADMIN_KEY, startTestService, tempDir, type TestService } from '../../test/helpers.js';
import type { LiveCounters, LiveDecision } from './live-feed.js';
import { staticRoutes } from './static-files.js';

/** Reads server-sent events from `stream` until `done` says so; returns them parsed. */
async function readEvents(
  stream: Readable,
  done: (events: { event: string; data: unknown }[]) => boolean,
): Promise<{ event: string; data: unknown }[]> {
  const events: { event: string; data: unknown }[] = [];
  let buffer = '';
  for await (const chunk of stream) {
    buffer += String(chunk);
    const blocks = buffer.split('\n\n');
    buffer = blocks.pop() ?? '';
    for (const block of blocks) {
      const event = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (event && data) events.push({ event, data: JSON.parse(data) });
    }
    if (done(events)) break;
  }
  stream.destroy();
  return events;
}

describe('GET /v1/events', () => {
  let t: TestService;
  beforeAll(async () => {
    t = await startTestService();
  });
  afterAll(() => t.destroy());

  it('streams a decision posted after connecting, then counters that include it', async () => {
    const response = await t.request({ method: 'GET', url: '/v1/events', payloadAsStream: true });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/event-stream/);
    const posted = await t.post({ transaction_id: 'live-1', account_id: 'acc-live', amount: 12_500 });
    expect(posted.statusCode).toBe(200);
    const events = await readEvents(response.stream(), (seen) => seen.some((e) => e.event === 'decisions'));
    expect(events[0]!.event).toBe('counters');
    const decisions = events.find((e) => e.event === 'decisions')!.data as { items: LiveDecision[] };
    expect(decisions.items).toEqual([
      expect.objectContaining({ transaction_id: 'live-1', decision: 'review', reasons: ['HIGH_AMOUNT'] }),
    ]);
    const after = await t.request({ method: 'GET', url: '/v1/events', payloadAsStream: true });
    const [first] = await readEvents(after.stream(), (seen) => seen.length > 0);
    expect((first!.data as LiveCounters).totals.review).toBe(1);
  });

  it('moves a stepped-up transaction from review to its new decision in the totals', async () => {
    const totals = async () => {
      const response = await t.request({ method: 'GET', url: '/v1/events', payloadAsStream: true });
      const [first] = await readEvents(response.stream(), (seen) => seen.length > 0);
      return (first!.data as LiveCounters).totals;
    };
    await t.post({ transaction_id: 'live-step', account_id: 'acc-step', amount: 12_500 });
    const before = await totals();
    // What a step-up stores when the face matches.
    const change = { transactionId: 'live-step', type: 'step_up', from: 'review', actor: 'test' } as const;
    await t.service.transactions.changeDecision({ ...change, to: 'approve', verificationId: null });
    expect(await totals()).toEqual({ ...before, review: before.review - 1, approve: before.approve + 1 });
  });

  it('ends the stream of a key revoked while it is open, sending it nothing more', async () => {
    const created = await t.request({
      method: 'POST',
      url: '/v1/keys',
      payload: { name: 'tab', scopes: ['dashboard'] },
    });
    const { id, key } = created.json<{ id: string; key: string }>();
    const response = await t.request({
      method: 'GET',
      url: '/v1/events',
      headers: { 'x-api-key': key },
      payloadAsStream: true,
    });
    expect(response.statusCode).toBe(200);
    const stream = response.stream();
    let text = '';
    stream.on('data', (chunk) => (text += String(chunk)));
    const ended = new Promise((resolve) => stream.on('end', resolve));
    await vi.waitFor(() => expect(text).toContain('event: counters'), { timeout: 5_000 });
    expect((await t.request({ method: 'DELETE', url: `/v1/keys/${id}` })).statusCode).toBe(204);
    await t.post({ transaction_id: 'after-revoke', account_id: 'acc-revoked', amount: 20 });
    await ended; // the stream ends at the next tick, without the decision made after the revocation
    expect(text).not.toContain('after-revoke');
  });

  it('lets the service stop while a stream is open (a dashboard tab does not hold up a shutdown)', async () => {
    const own = await startTestService();
    const address = await own.service.app.listen({ port: 0, host: '127.0.0.1' });
    const response = await fetch(`${address}/v1/events`, { headers: { 'x-api-key': ADMIN_KEY } });
    expect(response.status).toBe(200);
    const started = Date.now();
    await own.destroy();
    expect(Date.now() - started).toBeLessThan(5_000);
    await response.body?.cancel();
  });

  it('needs a key with the dashboard scope', async () => {
    const response = await t.request({ method: 'GET', url: '/v1/events', headers: { 'x-api-key': '' } });
    expect(response.statusCode).toBe(401);
  });
});

describe('dashboard static files', () => {
  const dir = tempDir('centinela-dashboard-');
  const app = Fastify();
  beforeAll(() => {
    mkdirSync(join(dir, 'assets'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Centinela</title>');
    writeFileSync(join(dir, 'assets', 'app-1.js'), 'console.log(1)');
    app.setErrorHandler(handleError);
    staticRoutes(app, dir);
  });
  afterAll(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html at / and hashed assets', async () => {
    const page = await app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<title>Centinela</title>');
    const asset = await app.inject({ method: 'GET', url: '/assets/app-1.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['content-type']).toMatch(/javascript/);
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('answers 404 for unknown assets and paths that leave the folder', async () => {
    for (const url of ['/assets/nope.js', '/assets/../index.html', '/assets/%2e%2e/index.html']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(404);
    }
  });

  it('is public on the service, while its data routes are not', async () => {
    const t = await startTestService();
    try {
      const page = await t.request({ method: 'GET', url: '/', headers: { 'x-api-key': '' } });
      expect(page.statusCode).toBe(200);
      const stats = await t.request({
        method: 'GET',
        url: '/v1/stats/overview',
        headers: { 'x-api-key': '' },
      });
      expect(stats.statusCode).toBe(401);
    } finally {
      await t.destroy();
    }
  });
});
