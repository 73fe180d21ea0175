import { describe, expect, it } from 'vitest';
import { natsServers } from './index.js';

describe('natsServers (CENTINELA_NATS_URL)', () => {
  it('takes nats:// and tls:// URLs and bare host:port, several separated by commas', () => {
    expect(natsServers('nats://127.0.0.1:4222')).toEqual(['nats://127.0.0.1:4222']);
    expect(natsServers(' nats://a:4222, tls://b:4222 ,c:4222')).toEqual([
      'nats://a:4222',
      'tls://b:4222',
      'c:4222',
    ]);
  });

  it('refuses another scheme, naming the URL', () => {
    for (const url of ['http://127.0.0.1:4222', 'nats://a:4222,https://b:4222', ' , '])
      expect(() => natsServers(url), url).toThrow(
        expect.objectContaining({
          code: 'CONFIG_INVALID',
          details: expect.objectContaining({ field: 'CENTINELA_NATS_URL' }),
        }),
      );
  });
});
