import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate, openStore } from '../../src/store/database.js';
import { createJetStreamTransport } from '../../src/transport/nats/jetstream.transport.js';
import {
  canRestartNats,
  ensureNatsRunning,
  restartNats,
} from '../../src/transport/conformance/nats-server.fixture.js';
import { TEST_NATS_URL } from '../../src/transport/conformance/transport.fixture.js';
import { createTestStore } from '../dialects.js';
import {
  duplicateIds,
  hasJetStream,
  mismatches,
  publishStream,
  referenceStream,
  waitForDecided,
} from './stream.fixture.js';

const fixture = referenceStream(2000, 11);
const STREAM = fixture.stream;
afterAll(() => ensureNatsRunning());

/** The last 20,000 characters each worker wrote to stderr, shown when an assertion fails. */
const workerLogs = new Map<ChildProcess, string>();

function logsOf(workers: readonly ChildProcess[]): string {
  return workers.map((w, i) => `worker ${i} (pid ${w.pid}) stderr:\n${workerLogs.get(w) ?? ''}`).join('\n');
}

/** A `centinela worker` process. */
function spawnWorker(databaseUrl: string, prefix: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'worker'], {
    env: {
      ...process.env,
      CENTINELA_DATABASE_URL: databaseUrl,
      CENTINELA_NATS_URL: TEST_NATS_URL,
      CENTINELA_NATS_PREFIX: prefix,
      CENTINELA_PARTITIONS: '8',
      CENTINELA_WORKER_ACK_WAIT_MS: '3000',
      CENTINELA_WORKER_BATCH: '100',
      CENTINELA_LOG_LEVEL: 'warn',
    },
    // Workers log reconnects and retries while NATS is down: kept, and shown only on failure.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  workerLogs.set(child, '');
  child.stderr?.on('data', (data: Buffer) =>
    workerLogs.set(child, ((workerLogs.get(child) ?? '') + data.toString('utf8')).slice(-20_000)),
  );
  return child;
}

async function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise((resolve) => child.once('exit', resolve));
}

/** Checks that every transaction was decided once, exactly as one process decides it. */
async function expectExactlyOnce(databaseUrl: string, workers: readonly ChildProcess[]): Promise<void> {
  const store = openStore({ url: databaseUrl });
  try {
    const decided = await waitForDecided(store.db, STREAM.length, 120_000);
    expect(decided, logsOf(workers)).toBe(STREAM.length);
    expect(await duplicateIds(store.db)).toBe(0);
    expect(await mismatches(store.db, fixture.reference)).toEqual([]);
  } finally {
    await store.close();
  }
}

describe.skipIf(!hasJetStream)('pipeline faults (real NATS, PostgreSQL, worker processes)', () => {
  it('a worker SIGKILLed mid-stream: the other takes over, every transaction decided exactly once', async () => {
    const store = await createTestStore('postgres');
    const prefix = `f${randomBytes(4).toString('hex')}`;
    const workers = [spawnWorker(store.url, prefix), spawnWorker(store.url, prefix)];
    const publisher = await createJetStreamTransport({ servers: TEST_NATS_URL, partitions: 8, prefix });
    const watcher = openStore({ url: store.url });
    await migrate(watcher.db);
    try {
      const publishing = publishStream(publisher, STREAM, 50);
      await waitForDecided(watcher.db, 400, 60_000);
      workers[0]!.kill('SIGKILL');
      await publishing;
      await expectExactlyOnce(store.url, workers);
    } finally {
      workers.forEach((w) => w.kill('SIGKILL'));
      await Promise.all(workers.map(exited));
      await publisher.destroy();
      await watcher.close();
      await store.drop();
    }
  }, 240_000);

  it.skipIf(!canRestartNats(TEST_NATS_URL))(
    'NATS restarted mid-stream: the pipeline resumes and nothing is lost',
    async () => {
      const store = await createTestStore('postgres');
      const prefix = `r${randomBytes(4).toString('hex')}`;
      const workers = [spawnWorker(store.url, prefix)];
      const publisher = await createJetStreamTransport({ servers: TEST_NATS_URL, partitions: 8, prefix });
      const watcher = openStore({ url: store.url });
      await migrate(watcher.db);
      try {
        const publishing = publishStream(publisher, STREAM, 50);
        await waitForDecided(watcher.db, 400, 60_000);
        await restartNats(1500);
        await publishing;
        await expectExactlyOnce(store.url, workers);
      } finally {
        await ensureNatsRunning();
        workers.forEach((w) => w.kill('SIGKILL'));
        await Promise.all(workers.map(exited));
        await publisher.destroy();
        await watcher.close();
        await store.drop();
      }
    },
    240_000,
  );
});
