import type { KyselyPlugin } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { availableDialects, createTestStore, type TestStore } from '../../test/dialects.js';
import { loadConfig } from '../config.js';
import { deciderOptions, openServices } from '../services.js';
import { BatchDecider, LOOKUP_BATCHES_AFTER_A_MISS, type DecisionRequest } from './batch-decider.js';
import { rowOf } from './transaction.view.js';
import { findTransactions, storePending } from './transaction.repository.js';
import { parseTransaction } from './transaction.js';

const T0 = Date.parse('2026-12-06T10:00:00Z');

/** Transaction `id` of account `acc`, `second` seconds after T0. */
function request(id: string, second: number, seq: number, acc = 'acc-1'): DecisionRequest {
  const parsed = parseTransaction(
    {
      transaction_id: id,
      account_id: acc,
      amount: 25,
      timestamp: new Date(T0 + second * 1000).toISOString(),
    },
    { currency: 'USD', now: T0 },
  );
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return { tx: parsed.value, arrivedAt: performance.now(), receivedAt: T0, seq };
}

/** Counts the queries run through the decider's reader: its idempotency lookups. */
function countingPlugin(counter: { reads: number }): KyselyPlugin {
  return {
    transformQuery: (args) => args.node,
    transformResult: (args) => {
      counter.reads++;
      return Promise.resolve(args.result);
    },
  };
}

const dialects = await availableDialects();

describe.each(dialects)('the batch decider (%s)', (dialect) => {
  let store: TestStore | undefined;
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await store?.drop();
  });

  async function start() {
    store = await createTestStore(dialect);
    const config = loadConfig({}, { databaseUrl: store.url, partitions: 8, logLevel: 'silent' });
    const services = await openServices(config);
    closers.push(() => services.store.close());
    const counter = { reads: 0 };
    const options = deciderOptions(config, services.store, services.rules, services.models);
    const reader = (options.reader ?? options.db).withPlugin(countingPlugin(counter));
    return { db: services.store.db, counter, decider: new BatchDecider({ ...options, reader }) };
  }

  it('stores new ids without reading the store first, and replays a redelivered one, counted once', async () => {
    const { db, counter, decider } = await start();
    const first = await decider.decide([request('a1', 0, 1), request('a2', 10, 2)]);
    expect(counter.reads).toBe(0);
    expect(first.map((o) => o.replayed)).toEqual([false, false]);
    expect(first[1]?.result.features.count_60s).toBe(2);

    // a2 again (a redelivery) with a new one: the insert finds a2 stored, the batch is decided
    // again with the lookup, and a2 is not counted a second time in a3's window.
    const second = await decider.decide([request('a2', 10, 2), request('a3', 20, 3)]);
    expect(counter.reads).toBe(1);
    expect(second[0]).toEqual({ result: first[1]?.result, replayed: true });
    expect(second[1]?.replayed).toBe(false);
    expect(second[1]?.result.features.count_60s).toBe(3);
    expect(second[1]?.result.features.prior_transactions).toBe(2);
    const stored = await findTransactions(db, ['a1', 'a2', 'a3']);
    expect(stored.map((row) => row.status)).toEqual(['decided', 'decided', 'decided']);

    // The batches after a miss read the store first: LOOKUP_BATCHES_AFTER_A_MISS of them, the
    // miss included; then they stop reading it again.
    await decider.decide([request('a4', 30, 4)]);
    expect(counter.reads).toBe(2);
    for (let i = 5; i < LOOKUP_BATCHES_AFTER_A_MISS + 5; i++) await decider.decide([request(`a${i}`, i, i)]);
    expect(counter.reads).toBe(LOOKUP_BATCHES_AFTER_A_MISS);
  });

  it('leaves no trace of a replay posted again with a much later time', async () => {
    const { decider } = await start();
    await decider.decide([request('b1', 0, 1), request('b2', 10, 2)]);
    // Counted in the first attempt, it moved the account's retention past b1 and b2; the
    // insert found b2 stored, and forgetting the attempt must put them back.
    const [replay] = await decider.decide([request('b2', 50 * 3600, 3)]);
    expect(replay?.replayed).toBe(true);
    const [next] = await decider.decide([request('b3', 20, 4)]);
    expect(next?.result.features).toMatchObject({ count_60s: 3, prior_transactions: 2 });
  });

  it('forgets what a batch counted when one of its transactions cannot be decided', async () => {
    const { decider } = await start();
    await decider.decide([request('c1', 0, 1)]);
    const unstorable = request('c3', 20, 3);
    const raw = {
      ...unstorable.tx.raw,
      extra: {
        toJSON: () => {
          throw new Error('cannot store');
        },
      },
    };
    await expect(
      decider.decide([request('c2', 10, 2), { ...unstorable, tx: { ...unstorable.tx, raw } }]),
    ).rejects.toThrow('cannot store');
    // c2 and c3 were counted before c3 failed to become a row; neither was stored.
    const [next] = await decider.decide([request('c4', 30, 4)]);
    expect(next?.result.features).toMatchObject({ count_60s: 2, prior_transactions: 1 });
  });

  it('decides transactions stored as pending (async ingestion), each counted once', async () => {
    const { db, decider } = await start();
    const pending = [request('p1', 0, 1), request('p2', 5, 2)];
    await storePending(
      db,
      pending.map((r) => rowOf(r.tx, null, { seq: r.seq as number, receivedAt: T0, partition: 0 })),
    );
    const outcomes = await decider.decide(pending);
    expect(outcomes.map((o) => o.replayed)).toEqual([false, false]);
    expect(outcomes[1]?.result.features.count_60s).toBe(2);
    const stored = await findTransactions(db, ['p1', 'p2']);
    expect(stored.map((row) => [row.status, row.decision])).toEqual(
      outcomes.map((o) => ['decided', o.result.decision]),
    );
  });
});
