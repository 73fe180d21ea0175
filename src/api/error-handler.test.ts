import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { SqliteError } from '../store/sqlite-worker.dialect.js';
import { handleError } from './error-handler.js';

async function app(thrown: Error) {
  const server = Fastify({ logger: false });
  server.setErrorHandler(handleError);
  server.get('/', () => Promise.reject(thrown));
  await server.ready();
  return server;
}

describe('handleError', () => {
  it('answers 503 STORE_UNAVAILABLE with retry-after when another process held the SQLite write lock too long', async () => {
    for (const code of ['SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']) {
      const res = await (await app(new SqliteError('database is locked', code))).inject('/');
      expect(res.statusCode, code).toBe(503);
      expect(res.headers['retry-after'], code).toBe('1');
      expect(res.json<{ error: { code: string } }>().error.code, code).toBe('STORE_UNAVAILABLE');
    }
  });

  it('answers 500 INTERNAL for other store errors, without their message', async () => {
    const res = await (await app(new SqliteError('no such table: secrets', 'SQLITE_ERROR'))).inject('/');
    expect(res.statusCode).toBe(500);
    expect(res.headers['retry-after']).toBeUndefined();
    expect(res.json()).toEqual({
      error: { code: 'INTERNAL', message: 'Internal error; it has been logged.' },
    });
  });
});

describe('schema errors', () => {
  it('name an array item by its index in brackets, as the rule set and text checks do', async () => {
    const server = Fastify({ logger: false });
    server.setErrorHandler(handleError);
    const item = {
      type: 'object',
      properties: { id: { type: 'string' }, 'a/b': { type: 'string' } },
      required: ['id'],
    };
    const body = { type: 'object', properties: { items: { type: 'array', items: item } } };
    server.post('/', { schema: { body } }, () => ({}));
    await server.ready();
    const fields = async (payload: object) => {
      const res = await server.inject({ method: 'POST', url: '/', payload });
      expect(res.statusCode).toBe(400);
      return res.json<{ error: { details: { field: string }[] } }>().error.details.map((d) => d.field);
    };
    expect(await fields({ items: [{ id: 'a' }, { id: {} }] })).toEqual(['items[1].id']);
    expect(await fields({ items: [{ id: 'a' }, {}] })).toEqual(['items[1].id']);
    expect(await fields({ items: [{ id: 'a', 'a/b': {} }] })).toEqual(['items[0].a/b']);
  });
});
