import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { RequestLogger } from './request-logger.js';

function capture(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

describe('RequestLogger', () => {
  it('makes no child logger for a request that logs nothing, or only below the level', () => {
    const { logger, lines } = capture('info');
    const child = vi.spyOn(logger, 'child');
    const log = RequestLogger.factory(logger, { request_id: 'r-1' }, {});
    log.debug('not shown');
    log.trace({ a: 1 }, 'not shown');
    expect(child).not.toHaveBeenCalled();
    expect(lines).toEqual([]);
    expect(log.level).toBe('info');
  });

  it('logs with the request bindings once something is logged, through one child', async () => {
    const { logger, lines } = capture('info');
    const child = vi.spyOn(logger, 'child');
    const log = RequestLogger.factory(logger, { request_id: 'r-2' }, {});
    log.info({ code: 'X' }, 'first');
    log.error('second %s', 'message');
    expect(child).toHaveBeenCalledTimes(1);
    log.child({ part: 'inner' }).warn('third');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => [l['request_id'], l['msg']])).toEqual([
      ['r-2', 'first'],
      ['r-2', 'second message'],
      ['r-2', 'third'],
    ]);
    expect(lines[0]).toMatchObject({ code: 'X', level: 30 });
    expect(lines[2]).toMatchObject({ part: 'inner', level: 40 });
  });

  it("keeps a route's own log level", async () => {
    const { logger, lines } = capture('warn');
    const log = RequestLogger.factory(logger, { request_id: 'r-3' }, { level: 'debug' });
    log.debug('shown at the route level');
    log.level = 'error';
    log.warn('now hidden');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((l) => l['msg'])).toEqual(['shown at the route level']);
    expect(log.level).toBe('error');
  });

  it('is what Fastify hands a route as request.log, with the request id', async () => {
    const { logger, lines } = capture('info');
    const app = Fastify({
      loggerInstance: logger,
      disableRequestLogging: true,
      childLoggerFactory: RequestLogger.factory,
      genReqId: () => 'req-42',
    });
    app.get('/', (request) => {
      request.log.info('handled');
      return { ok: true };
    });
    expect((await app.inject({ method: 'GET', url: '/' })).statusCode).toBe(200);
    await app.close();
    expect(lines.find((l) => l['msg'] === 'handled')).toMatchObject({ reqId: 'req-42' });
  });
});
