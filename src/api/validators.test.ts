import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { buildValidator } from './validators.js';

describe('schema validators', () => {
  const app = Fastify({ schemaController: { compilersFactory: { buildValidator } } });
  app.post(
    '/things/:n',
    {
      schema: {
        params: { type: 'object', properties: { n: { type: 'integer' } } },
        querystring: { type: 'object', properties: { limit: { type: 'integer' }, on: { type: 'boolean' } } },
        body: {
          type: 'object',
          properties: { name: { type: 'string' }, rate: { type: 'integer' }, on: { type: 'boolean' } },
        },
      },
    },
    (request) => ({ params: request.params, query: request.query, body: request.body }),
  );
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });

  it('coerces text of the URL (path and query) to the schema types', async () => {
    const res = await post('/things/7?limit=5&on=true', { name: 'x', rate: 3, on: false });
    expect(res.json()).toEqual({
      params: { n: 7 },
      query: { limit: 5, on: true },
      body: { name: 'x', rate: 3, on: false },
    });
  });

  it('refuses a JSON body value of another type instead of converting it', async () => {
    for (const [field, value] of [
      ['name', 5],
      ['rate', true],
      ['rate', '100'],
      ['on', 'false'],
      ['name', null],
    ] as const) {
      const res = await post('/things/1', { [field]: value });
      expect(res.statusCode, `${field}: ${JSON.stringify(value)}`).toBe(400);
      expect(res.json().message).toContain(`body/${field} must be`);
    }
  });
});
