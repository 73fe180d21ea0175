import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ModelRegistry } from '../models/model-registry.service.js';
import type { RulesService } from '../rules/rules.service.js';
import { migrate, openStore } from '../store/database.js';
import { healthRoutes } from './health.routes.js';

const rules = { current: () => ({ version: 1 }) } as unknown as RulesService;

/** An app with only the health routes, over a store that can be closed under it. */
async function healthApp(options: { models?: ModelRegistry; transport?: () => unknown }) {
  const store = openStore({ url: ':memory:' });
  await migrate(store.db);
  const app = Fastify();
  healthRoutes(app, {
    db: store.db,
    rules,
    ...(options.models ? { models: options.models } : {}),
    ...(options.transport ? { probes: { transport: options.transport } } : {}),
  });
  return { app, store };
}

describe('/readyz', () => {
  it('answers 200 when every part is usable', async () => {
    const { app, store } = await healthApp({});
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      status: 'ready',
      checks: { store: 'ok', rules: 'ok', transport: 'ok' },
    });
    await store.close();
  });

  it('answers 503 naming each part that fails: the store, the models, the transport', async () => {
    const models = {
      refresh: () => Promise.reject(new Error('model v3 cannot be loaded')),
    } as unknown as ModelRegistry;
    const transport = () => {
      throw new Error('NATS connection closed');
    };
    const { app, store } = await healthApp({ models, transport });
    await store.close();
    const res = await app.inject({ url: '/readyz' });
    expect(res.statusCode).toBe(503);
    const body = res.json();
    expect(body.status).toBe('not_ready');
    expect(body.checks).toMatchObject({
      rules: 'ok',
      models: 'model v3 cannot be loaded',
      transport: 'NATS connection closed',
    });
    expect(body.checks.store).not.toBe('ok');
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  });
});
