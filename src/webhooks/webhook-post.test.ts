import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postWebhook } from './webhook-post.js';

describe('postWebhook', () => {
  let server: Server;
  let origin: string;
  beforeAll(async () => {
    server = createServer((request, response) => {
      if (request.url === '/slow-body') {
        response.writeHead(200);
        response.write('x');
        setTimeout(() => response.end('y'), 1000);
      } else if (request.url === '/silent') {
        setTimeout(() => response.writeHead(200).end(), 1000);
      } else response.writeHead(request.url === '/moved' ? 307 : 204, { location: '/' }).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const allowed = { timeoutMs: 300, allowPrivateNetworks: true };

  it('resolves with the status, without following a redirect', async () => {
    expect(await postWebhook(`${origin}/`, {}, '{}', allowed)).toBe(204);
    expect(await postWebhook(`${origin}/moved`, {}, '{}', allowed)).toBe(307);
  });

  it('rejects at the time limit, and a body still arriving then does no harm', async () => {
    await expect(postWebhook(`${origin}/silent`, {}, '{}', allowed)).rejects.toThrow(/abort|timeout/i);
    expect(await postWebhook(`${origin}/slow-body`, {}, '{}', allowed)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the limit passes mid-body
  });

  it('refuses a private address unless allowed, sending nothing', async () => {
    const strict = { timeoutMs: 300, allowPrivateNetworks: false };
    await expect(postWebhook(`${origin}/`, {}, '{}', strict)).rejects.toThrow('private or reserved');
    await expect(postWebhook('http://localhost:9/', {}, '{}', strict)).rejects.toThrow('private or reserved');
  });
});
