import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, startTestService, type TestService } from './helpers.js';

interface RawAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** Writes `text` on a fresh connection and reads the answer until the server closes it. */
function rawExchange(port: number, text: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => resolve(parseAnswer(received)));
  });
}

function parseAnswer(text: string): RawAnswer {
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [
      line.slice(0, line.indexOf(':')).toLowerCase(),
      line.slice(line.indexOf(':') + 1).trim(),
    ]),
  );
  return { status: Number(statusLine.split(' ')[1]), headers, body: body ? JSON.parse(body) : undefined };
}

describe('errors outside the error handler use the {error: {code, message}} envelope', () => {
  let t: TestService;
  let port: number;
  beforeAll(async () => {
    t = await startTestService({ requestTimeoutMs: 300 });
    const address = await t.service.app.listen({ port: 0, host: '127.0.0.1' });
    port = Number(new URL(address).port);
  });
  afterAll(() => t.destroy());

  it('answers 408 REQUEST_TIMEOUT to a request whose body stops half-way', async () => {
    const body = JSON.stringify({ account_id: 'slow', amount: 10 });
    const started = Date.now();
    const answer = await rawExchange(
      port,
      `POST /v1/transactions HTTP/1.1\r\nHost: x\r\nX-Api-Key: ${ADMIN_KEY}\r\n` +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${body.length}\r\n\r\n${body.slice(0, body.length / 2)}`,
    );
    expect(answer.status).toBe(408);
    expect(answer.body).toEqual({
      error: { code: 'REQUEST_TIMEOUT', message: 'The request was not received in time.' },
    });
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('answers 400 BAD_REQUEST to bytes that are not HTTP', async () => {
    const answer = await rawExchange(port, 'HELLO THERE\r\n\r\n');
    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({
      error: { code: 'BAD_REQUEST', message: 'The request is not valid HTTP.' },
    });
  });

  it('answers 431 HEADERS_TOO_LARGE to headers over the limit', async () => {
    const answer = await rawExchange(
      port,
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Pad: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(answer.status).toBe(431);
    expect(answer.body).toMatchObject({ error: { code: 'HEADERS_TOO_LARGE' } });
  });

  it('answers 400 BAD_REQUEST to a URL whose parameter does not decode', async () => {
    const res = await t.request({ method: 'GET', url: '/v1/transactions/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error).toMatchObject({ code: 'BAD_REQUEST' });
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('answers 414 URI_TOO_LONG to a path parameter over the router limit', async () => {
    const res = await t.request({ method: 'GET', url: `/v1/transactions/${'x'.repeat(600)}` });
    expect(res.statusCode).toBe(414);
    expect(res.json().error).toMatchObject({ code: 'URI_TOO_LONG' });
  });
});
