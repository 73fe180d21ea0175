import Fastify, { type RouteOptions } from 'fastify';
import { describe, expect, it } from 'vitest';
import { handleError } from './error-handler.js';
import { registerQueryNumberCheck } from './query-numbers.js';

async function app() {
  const server = Fastify({ ajv: { customOptions: { coerceTypes: true, allErrors: true } } });
  server.setErrorHandler(handleError);
  const checked: Record<string, boolean> = {};
  registerQueryNumberCheck(server);
  server.addHook('onRoute', (route: RouteOptions) => {
    checked[route.url] = route.preHandler !== undefined;
  });
  const ok = () => ({ ok: true });
  const query = (properties: object) => ({ schema: { querystring: { type: 'object', properties } } });
  server.get('/numbers', query({ limit: { type: 'integer', maximum: 100 }, name: { type: 'string' } }), ok);
  server.get('/either', query({ offset: { type: ['integer', 'null'] } }), ok);
  server.get('/composed', query({ at: { anyOf: [{ type: 'number' }, { type: 'string' }] } }), ok);
  server.get('/strings', query({ mode: { type: 'string', enum: ['sync', 'async'] } }), ok);
  server.get('/none', ok);
  await server.ready();
  return { server, checked };
}

describe('registerQueryNumberCheck', () => {
  it('refuses numbers beyond 2^53 and Infinity with a 400 naming the field', async () => {
    const { server } = await app();
    for (const url of ['/numbers?limit=1e309', '/either?offset=9223372036854776000', '/composed?at=1e400']) {
      const res = await server.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
      const field = url.slice(url.indexOf('?') + 1, url.indexOf('='));
      expect(JSON.stringify(res.json()), url).toContain(`querystring.${field}`);
    }
    expect((await server.inject({ method: 'GET', url: '/numbers?limit=5' })).statusCode).toBe(200);
  });

  it('refuses numbers not written in decimal, which AJV would read (0x10 as 16, 1e3 as 1000)', async () => {
    const { server } = await app();
    for (const limit of ['0x10', '1e3', '0b11', 'Infinity', 'l%69mit']) {
      const res = await server.inject({ method: 'GET', url: `/numbers?limit=${limit}` });
      expect(res.statusCode, limit).toBe(400);
      expect(JSON.stringify(res.json()), limit).toContain('querystring.limit');
    }
    for (const limit of ['5', '007', '%205'])
      expect((await server.inject({ method: 'GET', url: `/numbers?limit=${limit}` })).statusCode, limit).toBe(
        200,
      );
  });

  it('adds nothing to routes whose query parameters are never numbers', async () => {
    const { checked } = await app();
    expect(checked).toEqual({
      '/numbers': true,
      '/either': true,
      '/composed': true,
      '/strings': false,
      '/none': false,
    });
  });
});
