import { once } from 'node:events';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { openLoop } from '../bench/open-loop.js';

const ANSWER_DELAY_MS = 50;

let server: Server | undefined;

afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A server that answers each POST after ANSWER_DELAY_MS, as the path says; it records the bodies. */
async function startServer(received: string[]): Promise<string> {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      received.push(body);
      setTimeout(() => answer(request.url, response), ANSWER_DELAY_MS);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function answer(path: string | undefined, response: ServerResponse): void {
  if (path === '/fail') {
    response.writeHead(500).end('{"error":"boom"}');
  } else if (path === '/chunked') {
    response.write('no content-length');
    response.end();
  } else {
    response.end('{"ok":true}');
  }
}

function bodies() {
  let next = 0;
  return () => JSON.stringify({ n: next++ });
}

const run = (origin: string, path: string, connections: number) =>
  openLoop({
    origin,
    path,
    headers: { 'content-type': 'application/json' },
    rate: 100,
    seconds: 0.5,
    connections,
    nextBody: bodies(),
  });

describe('open-loop load (bench)', () => {
  it('sends every request when due, in order, and times it from then, waiting for a connection included', async () => {
    const received: string[] = [];
    const origin = await startServer(received);
    // Two connections answer at most 40 requests/s: the 50 requests offered at 100/s queue up.
    const result = await run(origin, '/ok', 2);
    expect(result.sent).toBe(50);
    expect(result.errors).toBe(0);
    expect(received.map((body) => (JSON.parse(body) as { n: number }).n)).toEqual([...Array(50).keys()]);
    // The last request is due at 490 ms and answered no sooner than 25 round trips of 50 ms after the
    // first: a latency timed from when it was sent (not when it was due) would be about 50 ms.
    expect(result.p99).toBeGreaterThanOrEqual(25 * ANSWER_DELAY_MS - 490);
    expect(result.p50).toBeGreaterThanOrEqual(ANSWER_DELAY_MS);
  });

  it('reports the longest stall of its own timer, which delays the requests due meanwhile', async () => {
    const origin = await startServer([]);
    const stallMs = 150;
    setTimeout(() => {
      const until = performance.now() + stallMs;
      while (performance.now() < until); // this process is busy: nothing is sent
    }, 100);
    const result = await run(origin, '/ok', 64);
    expect(result.errors).toBe(0);
    expect(result.senderGapMs).toBeGreaterThanOrEqual(stallMs);
    // The requests due during the stall were sent late and are timed from when they were due.
    expect(result.p99).toBeGreaterThanOrEqual(stallMs / 2);
  });

  it('counts answers other than 2xx as errors', async () => {
    const origin = await startServer([]);
    const result = await run(origin, '/fail', 8);
    expect(result.sent).toBe(50);
    expect(result.errors).toBe(50);
    expect(result.rps).toBe(0);
  });

  it('finishes, counting errors, when an answer cannot be read and every connection closes', async () => {
    const origin = await startServer([]);
    const result = await run(origin, '/chunked', 2);
    expect(result.sent).toBe(50);
    expect(result.errors).toBe(50);
  });
});
