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
