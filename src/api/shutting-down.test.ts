import { describe, expect, it } from 'vitest';
import { startTestService } from '../../test/helpers.js';

describe('a request that arrives while the server closes', () => {
  it('answers 503 SHUTTING_DOWN in the error envelope, with x-request-id, and closes its connection', async () => {
    const t = await startTestService();
    const closing = t.service.app.close();
    const res = await t.request({ method: 'GET', url: '/v1/rules' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      error: {
        code: 'SHUTTING_DOWN',
        message: 'The service is stopping; retry shortly or on another instance.',
      },
    });
    expect(res.headers['x-request-id']).toBeDefined();
    expect(res.headers.connection).toBe('close');
    await closing;
    await t.destroy();
  });
});
