import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../src/config.js';
import { deciderOptions, openServices } from '../../src/services.js';
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
  countTransactions,
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

/**
 * The API in distributed mode on a fresh PostgreSQL database and streams of its own; `workers`
 * starts workers in this process on them. `stop` closes everything and drops the database.
 */
async function startDistributedApi(overrides: Partial<Config> = {}) {
  const store = await createTestStore('postgres');
  const prefix = `d${randomBytes(4).toString('hex')}`;
  const api = await startTestService({
    databaseUrl: store.url,
    natsUrl: TEST_NATS_URL,
    natsPrefix: prefix,
    partitions: 8,
    ...overrides,
  });
  const pipelines: Awaited<ReturnType<typeof startWorkers>>[] = [];
  return {
    api,
    workers: async (count: number) => {
      const pipeline = await startWorkers(count, store.url, prefix);
      pipelines.push(pipeline);
      return pipeline;
    },
    stop: async () => {
      await api.close();
      for (const pipeline of pipelines) await pipeline.stop();
      await store.drop();
    },
  };
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
    const { api, workers, stop } = await startDistributedApi();
    const pipeline = await workers(1);
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
      await stop();
    }
  }, 120_000);

  it('decides, or refuses field by field, transactions whose ids hold any characters; never a 5xx', async () => {
    const { api, workers, stop } = await startDistributedApi({ decisionTimeoutMs: 10_000 });
    const pipeline = await workers(1);
    const seen = new Set<string>();
    // Any code point, and the characters that need care: NUL, halves of surrogate pairs, line
    // breaks, a quote, spaces (header values are trimmed).
    const awkward = fc.constantFrom('\u0000', '\ud800', '\udfff', '\r', '\n', '"', ' ', '\t');
    const anyId = fc.string({
      unit: fc.oneof(awkward, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })),
      minLength: 1,
      maxLength: 24,
    });
    try {
      await fc.assert(
        fc.asyncProperty(anyId, anyId, fc.boolean(), async (id, account, async) => {
          fc.pre(!seen.has(id));
          seen.add(id);
          const answer = await api.request({
            method: 'POST',
            url: async ? '/v1/transactions?mode=async' : '/v1/transactions',
            payload: { transaction_id: id, account_id: account, amount: 25 },
          });
          const where = JSON.stringify({ id, account, async });
          expect(answer.statusCode, `${where}: ${answer.body}`).toBeLessThan(500);
          if (answer.statusCode === 400) {
            expect(answer.json().error.code, where).toBe('VALIDATION_FAILED');
            return;
          }
          expect(answer.statusCode, where).toBe(async ? 202 : 200);
          if (!async) expect(answer.json(), where).toMatchObject({ transaction_id: id, account_id: account });
        }),
        { numRuns: 40 },
      );
      const db = pipeline.services.store.db;
      const accepted = await countTransactions(db);
      expect(accepted).toBeGreaterThan(0);
      expect(await waitForDecided(db, accepted, 20_000)).toBe(accepted);
    } finally {
      await stop();
    }
  }, 120_000);

  // Async requests are accepted in runs (one lookup and one INSERT per run, a publish each):
  // every request of a burst answers 202, an id sent twice in the burst is published and stored
  // once, an id already stored answers its status, and each is decided once.
  it('accepts a burst of async requests together, each id once, and decides them', async () => {
    const { api, workers, stop } = await startDistributedApi();
    const post = (i: number) =>
      api.request({
        method: 'POST',
        url: '/v1/transactions?mode=async',
        payload: { transaction_id: `burst-${i}`, account_id: `acc-${i % 7}`, amount: 10 + i },
      });
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
      // burst-0 was stored before; later copies of an id are replays of its first and say so.
      expect(answers.map((a) => a.headers['idempotent-replayed'])).toEqual(
        ids.map((id, k) => (id === 0 || ids.indexOf(id) < k ? 'true' : undefined)),
      );
      const rows = await api.service.store.db
        .selectFrom('transactions')
        .select(['transaction_id', 'status', 'seq'])
        .execute();
      expect(rows).toHaveLength(120);
      expect(new Set(rows.map((r) => r.seq)).size).toBe(120);
      expect(rows.every((r) => r.status === 'pending')).toBe(true);

      const pipeline = await workers(1);
      expect(await waitForDecided(pipeline.services.store.db, 120, 30_000)).toBe(120);
      expect((await post(5)).json()).toEqual({ transaction_id: 'burst-5', status: 'decided' });
      expect(await countTransactions(api.service.store.db)).toBe(120);
      // Two synchronous copies at once: one decision, one of them answered as a replay.
      const twice = await Promise.all(
        [0, 1].map(() =>
          api.request({
            method: 'POST',
            url: '/v1/transactions',
            payload: { transaction_id: 'sync-twice', account_id: 'acc-s', amount: 5 },
          }),
        ),
      );
      expect(twice.map((a) => a.statusCode)).toEqual([200, 200]);
      expect(twice.map((a) => a.headers['idempotent-replayed']).sort()).toEqual(['true', undefined]);
      expect(twice[0]?.json().decision).toEqual(twice[1]?.json().decision);
    } finally {
      await stop();
    }
  }, 120_000);
});
