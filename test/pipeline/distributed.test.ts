import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { deciderOptions, openServices } from '../../src/main.js';
import { BatchDecider } from '../../src/transactions/batch-decider.js';
import { StreamIngestion } from '../../src/transactions/stream-ingestion.js';
import {
  DECISIONS_PER_MESSAGE,
  TransactionWorker,
  type DecisionBatch,
} from '../../src/transactions/transaction.worker.js';
import {
  createJetStreamTransport,
  type JetStreamTransport,
} from '../../src/transport/nats/jetstream.transport.js';
import { TEST_NATS_URL } from '../../src/transport/conformance/transport.fixture.js';
import { createTestStore } from '../dialects.js';
import { startTestService } from '../helpers.js';
import {
  duplicateIds,
  hasJetStream,
  mismatches,
  pipelineConfig,
  publishStream,
  referenceStream,
  waitForDecided,
} from './stream.fixture.js';

const fixture = referenceStream(2000, 7);
const STREAM = fixture.stream;

/** Starts `count` workers in this process, each with its own NATS connection and state. */
async function startWorkers(count: number, databaseUrl: string, prefix: string) {
  const config = pipelineConfig(databaseUrl);
  const services = await openServices(config);
  const transports: JetStreamTransport[] = [];
  const workers: TransactionWorker[] = [];
  for (let i = 0; i < count; i++) {
    const transport = await createJetStreamTransport({
      servers: TEST_NATS_URL,
      partitions: config.partitions,
      prefix,
    });
    const decider = new BatchDecider(deciderOptions(config, services.store, services.rules, services.models));
    const worker = new TransactionWorker({ transport, decider, defaultCurrency: 'USD', maxBatch: 200 });
    await worker.start();
    transports.push(transport);
    workers.push(worker);
  }
  const stop = async () => {
    await Promise.all(workers.map((w) => w.stop()));
    await Promise.all(transports.slice(1).map((t) => t.close()));
    await transports[0]?.destroy(); // deletes this test's streams and lease bucket
    await services.store.close();
  };
  return { services, transports, workers, stop };
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return check();
}

describe.skipIf(!hasJetStream)('distributed pipeline on JetStream and PostgreSQL', () => {
  it.each([1, 3])(
    'decides the stream exactly as one process does, with %i worker(s)',
    async (count) => {
      const store = await createTestStore('postgres');
      const prefix = `p${randomBytes(4).toString('hex')}`;
      const pipeline = await startWorkers(count, store.url, prefix);
      try {
        const shared = await eventually(() => pipeline.workers.every((w) => w.owned().length > 0), 20_000);
        expect(shared).toBe(true);
        const batches: DecisionBatch[] = [];
        const unsubscribe = await pipeline.transports[0]!.subscribe('decisions', (delivery) => {
          batches.push(delivery.json<DecisionBatch>());
        });
        await publishStream(pipeline.transports[0]!, STREAM);
        expect(await waitForDecided(pipeline.services.store.db, STREAM.length, 90_000)).toBe(STREAM.length);
        // Every decision is published, in messages of at most DECISIONS_PER_MESSAGE, each saying
        // when its batch was committed: after every decision in it.
        const published = () =>
          new Set(batches.flatMap((b) => b.decisions.map((d) => d.transaction_id))).size;
        expect(await eventually(() => published() === STREAM.length, 10_000)).toBe(true);
        unsubscribe();
        const late = batches.filter(
          (b) =>
            !b.decisions.every((d) => Date.parse(d.processed_at) <= b.stored_at && b.stored_at <= Date.now()),
        );
        const largest = Math.max(...batches.map((b) => b.decisions.length));
        expect([late.length, largest <= DECISIONS_PER_MESSAGE]).toEqual([0, true]);
        expect(await mismatches(pipeline.services.store.db, fixture.reference)).toEqual([]);
        expect(await duplicateIds(pipeline.services.store.db)).toBe(0);
      } finally {
        await pipeline.stop();
        await store.drop();
      }
    },
    180_000,
  );

  it('sends 1% poison messages to the dead-letter stream and decides every other one', async () => {
    const store = await createTestStore('postgres');
    const prefix = `p${randomBytes(4).toString('hex')}`;
    const pipeline = await startWorkers(2, store.url, prefix);
    const publisher = pipeline.transports[0]!;
    try {
      const stream = STREAM.slice(0, 1000);
      for (const [i, body] of stream.entries()) {
        if (i % 100 === 50) {
          const poison =
            i % 200 === 50
              ? Buffer.from('{not json')
              : { transaction: { account_id: 'x', amount: -1 }, received_at: 0 };
          await publisher.publish('transactions', poison, { key: `poison-${i}` });
        }
        await publisher.publish(
          'transactions',
          { transaction: body, received_at: 0 },
          { key: String(body.account_id) },
        );
      }
      expect(await waitForDecided(pipeline.services.store.db, stream.length, 90_000)).toBe(stream.length);
      const deadline = Date.now() + 20_000;
      let letters = await publisher.read('dlq', { limit: 100 });
      while (letters.length < 10 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 200));
        letters = await publisher.read('dlq', { limit: 100 });
      }
      const parsed = letters.map((d) =>
        d.json<{ stage: string; attempts: number; payload: string; error: string }>(),
      );
      expect(parsed).toHaveLength(10);
      expect(parsed.filter((l) => l.stage === 'parse')).toHaveLength(5);
      expect(parsed.filter((l) => l.stage === 'validate')).toHaveLength(5);
      expect(parsed.every((l) => l.attempts >= 1 && l.payload.length > 0 && l.error.length > 0)).toBe(true);
      const ingestion = new StreamIngestion(pipeline.services.store.db, publisher, {
        decisionTimeoutMs: 1000,
      });
      let backlog = await ingestion.backlog();
      while (backlog.lag > 0 && Date.now() < deadline) backlog = await ingestion.backlog();
      expect(backlog).toEqual({ lag: 0, deadLetters: 10 });
    } finally {
      await pipeline.stop();
      await store.drop();
    }
  }, 180_000);

  it("serves the HTTP API on the stream: sync answers the worker's decision, async answers 202 then decides", async () => {
    const store = await createTestStore('postgres');
    const prefix = `a${randomBytes(4).toString('hex')}`;
    const pipeline = await startWorkers(1, store.url, prefix);
    const api = await startTestService({
      databaseUrl: store.url,
      natsUrl: TEST_NATS_URL,
      natsPrefix: prefix,
      partitions: 8,
    });
    try {
      const body = {
        transaction_id: 'api-1',
        account_id: 'acc-api',
        amount: 12000,
        timestamp: '2026-05-01T10:00:00Z',
      };
      const sync = await api.post(body);
      expect(sync.statusCode).toBe(200);
      expect(sync.json()).toMatchObject({
        transaction_id: 'api-1',
        decision: 'review',
        features: { count_60s: 1 },
      });
      const replay = await api.post(body);
      expect(replay.headers['idempotent-replayed']).toBe('true');
      expect(replay.json()).toEqual(sync.json());
      const accepted = await api.request({
        method: 'POST',
        url: '/v1/transactions?mode=async',
        payload: { ...body, transaction_id: 'api-2', timestamp: '2026-05-01T10:00:10Z' },
      });
      expect(accepted.statusCode, accepted.body).toBe(202);
      expect(await waitForDecided(pipeline.services.store.db, 2, 20_000)).toBe(2);
      const stored = (await api.request({ url: '/v1/transactions/api-2' })).json();
      expect(stored).toMatchObject({
        status: 'decided',
        decision: { features: { count_60s: 2, prior_transactions: 1 } },
      });
      // Ids with line breaks or spaces at the ends travel in NATS headers as JSON strings:
      // decided like any other, not refused by NATS and retried until STORE_UNAVAILABLE.
      const odd = {
        ...body,
        transaction_id: 'api\n3',
        account_id: ' acc\r\nodd ',
        timestamp: '2026-05-01T10:00:20Z',
      };
      const oddAnswer = await api.post(odd);
      expect(oddAnswer.statusCode, oddAnswer.body).toBe(200);
      expect(oddAnswer.json()).toMatchObject({
        transaction_id: 'api\n3',
        account_id: ' acc\r\nodd ',
        features: { count_60s: 1 },
      });
      expect((await api.post(odd)).headers['idempotent-replayed']).toBe('true');
      const ready = (await api.request({ url: '/readyz' })).json();
      expect(ready.checks).toMatchObject({ store: 'ok', transport: 'ok' });
      const { body: metrics } = await api.service.metrics.scrape();
      expect(metrics).toContain('centinela_dead_letters{queue="dlq"} 0');
      expect(metrics).toMatch(/centinela_consumer_lag\{consumer="workers"\} [0-2]\n/);
    } finally {
      await api.close();
      await pipeline.stop();
      await store.drop();
    }
  }, 120_000);

  // Async requests are accepted in runs (one lookup and one INSERT per run, a publish each):
  // every request of a burst answers 202, an id sent twice in the burst is published and stored
  // once, an id already stored answers its status, and each is decided once.
  it('accepts a burst of async requests together, each id once, and decides them', async () => {
    const store = await createTestStore('postgres');
    const prefix = `b${randomBytes(4).toString('hex')}`;
    const api = await startTestService({
      databaseUrl: store.url,
      natsUrl: TEST_NATS_URL,
      natsPrefix: prefix,
      partitions: 8,
    });
    const post = (i: number) =>
      api.request({
        method: 'POST',
        url: '/v1/transactions?mode=async',
        payload: { transaction_id: `burst-${i}`, account_id: `acc-${i % 7}`, amount: 10 + i },
      });
    let pipeline: Awaited<ReturnType<typeof startWorkers>> | undefined;
    try {
      expect((await post(0)).json()).toEqual({ transaction_id: 'burst-0', status: 'pending' });
      const ids = [
        ...Array.from({ length: 120 }, (_, i) => i),
        ...Array.from({ length: 20 }, (_, i) => i * 3),
      ];
      const answers = await Promise.all(ids.map(post));
      for (const [i, answer] of answers.entries()) {
        expect(answer.statusCode, answer.body).toBe(202);
        expect(answer.json()).toEqual({ transaction_id: `burst-${ids[i]}`, status: 'pending' });
      }
      const rows = await api.service.store.db
        .selectFrom('transactions')
        .select(['transaction_id', 'status', 'seq'])
        .execute();
      expect(rows).toHaveLength(120);
      expect(new Set(rows.map((r) => r.seq)).size).toBe(120);
      expect(rows.every((r) => r.status === 'pending')).toBe(true);

      pipeline = await startWorkers(1, store.url, prefix);
      expect(await waitForDecided(pipeline.services.store.db, 120, 30_000)).toBe(120);
      expect((await post(5)).json()).toEqual({ transaction_id: 'burst-5', status: 'decided' });
      const counted = await api.service.store.db
        .selectFrom('transactions')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      expect(Number(counted.n)).toBe(120);
    } finally {
      await api.close();
      await pipeline?.stop();
      await store.drop();
    }
  }, 120_000);
});
