import { describe, expect, it } from 'vitest';
import { hasNatsBinary, startOwnNats } from '../conformance/nats-server.fixture.js';
import { createJetStreamTransport } from './jetstream.transport.js';

describe.skipIf(!hasNatsBinary && process.env.CI !== 'true')('JetStream transport set-up', () => {
  it('says CONFIG_INVALID, naming the server, when it has no JetStream', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const stop = await startOwnNats(port); // without -js
    try {
      const servers = `nats://127.0.0.1:${port}`;
      await expect(createJetStreamTransport({ servers, partitions: 4 })).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining(`${servers} does not have JetStream enabled`),
      });
    } finally {
      stop();
    }
  });
});
