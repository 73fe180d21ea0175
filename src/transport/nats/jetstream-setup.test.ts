import { describe, expect, it } from 'vitest';
import { hasNatsBinary, startOwnNats } from '../conformance/nats-server.fixture.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DiscardPolicy, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { availableTransports, TEST_NATS_URL } from '../conformance/transport.fixture.js';
import { createTransport } from '../index.js';
import { JetStreamNames } from './jetstream-names.js';
import { createJetStreamTransport } from './jetstream.transport.js';

const hasJetStream = (await availableTransports()).includes('jetstream');
const randomPort = () => 20_000 + Math.floor(Math.random() * 20_000);

describe.skipIf(!hasNatsBinary && process.env.CI !== 'true')('JetStream transport set-up', () => {
  it('connects with the credentials of the URL; wrong ones are CONFIG_INVALID, never naming the password', async () => {
    const port = randomPort();
    const store = mkdtempSync(join(tmpdir(), 'centinela-nats-'));
    const stop = await startOwnNats(port, ['-js', '-sd', store, '--user', 'alice', '--pass', 'p@ss']);
    try {
      const open = (natsUrl: string) => createTransport({ natsUrl, partitions: 2 });
      const transport = await open(`nats://alice:p%40ss@127.0.0.1:${port}`);
      await transport.close();
      const refused = open(`nats://alice:wrong-secret@127.0.0.1:${port}`);
      await expect(refused).rejects.toMatchObject({
        code: 'CONFIG_INVALID',
        message: expect.stringContaining('refused'),
      });
      await expect(refused).rejects.toSatisfy((e: Error) => !e.message.includes('wrong-secret'));
    } finally {
      stop();
      rmSync(store, { recursive: true, force: true });
    }
  });

  it('says CONFIG_INVALID, naming the server, when it has no JetStream', async () => {
    const port = randomPort();
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

  it.runIf(hasJetStream)(
    'records its partition count on streams made before it was recorded, changing nothing else',
    async () => {
      const names = new JetStreamNames(`s${randomBytes(4).toString('hex')}`);
      const nc = await connect({ servers: TEST_NATS_URL });
      const jsm = await jetstreamManager(nc);
      const name = names.stream('transactions');
      try {
        // as an operator may have tuned it (nats stream edit)
        const subjects = [names.wildcard('transactions')];
        await jsm.streams.add({ name, subjects, max_msgs: 12_345, discard: DiscardPolicy.New });
        const transport = await createJetStreamTransport({
          servers: TEST_NATS_URL,
          prefix: names.prefix,
          partitions: 4,
        });
        const { config } = await jsm.streams.info(name);
        await transport.destroy();
        expect([config.description, config.max_msgs]).toEqual([
          'Centinela transactions over 4 partitions',
          12_345,
        ]);
      } finally {
        await jsm.streams.delete(name).catch(() => false);
        await nc.close();
      }
    },
  );
});
