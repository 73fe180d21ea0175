import { describe, expect, it } from 'vitest';
import { natsServers } from './index.js';

describe('natsServers (CENTINELA_NATS_URL)', () => {
  it('takes nats:// and tls:// URLs and bare host:port, several separated by commas', () => {
    expect(natsServers('nats://127.0.0.1:4222')).toEqual({
      servers: ['nats://127.0.0.1:4222'],
      credentials: {},
    });
    expect(natsServers(' nats://a:4222, tls://b:4222 ,c:4222,').servers).toEqual([
      'nats://a:4222',
      'tls://b:4222',
      'c:4222',
    ]);
    expect(natsServers('nats://[::1]:4222').servers).toEqual(['nats://[::1]:4222']);
  });

  it('takes the credentials out of the URLs: user and password, or a token', () => {
    expect(natsServers('nats://alice:p%40ss@nats:4222,nats://other:4222')).toEqual({
      servers: ['nats://nats:4222', 'nats://other:4222'],
      credentials: { user: 'alice', pass: 'p@ss' },
    });
    expect(natsServers('s3cr3t@10.0.0.1:4222')).toEqual({
      servers: ['10.0.0.1:4222'],
      credentials: { token: 's3cr3t' },
    });
  });

  it('refuses another scheme, naming the URL without its password', () => {
    for (const url of ['http://127.0.0.1:4222', 'nats://a:4222,https://u:secret@b:4222', ' , ']) {
      let error: unknown;
      try {
        natsServers(url);
      } catch (e) {
        error = e;
      }
      expect(error, url).toMatchObject({ code: 'CONFIG_INVALID', details: { field: 'CENTINELA_NATS_URL' } });
      expect(JSON.stringify(error) + String(error), url).not.toContain('secret');
    }
  });
});
