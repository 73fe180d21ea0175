import { describe, expect, it } from 'vitest';
import { storePending } from '../src/transactions/transaction.repository.js';
import { rowOf } from '../src/transactions/transaction.view.js';
import { parseTransaction } from '../src/transactions/transaction.js';
import { availableDialects, createTestStore } from './dialects.js';
import { startTestService } from './helpers.js';

const T0 = Date.UTC(2026, 5, 1, 12);
const tx = (offset: number, account = 'acc-restart', destination = 'FR') => ({
  account_id: account,
  amount: 10,
  destination_country: destination,
  timestamp: new Date(T0 + offset).toISOString(),
});

describe.each(await availableDialects())('restart on %s', (dialect) => {
  it('keeps velocity state, arrival counts and decided ids', async () => {
    const store = await createTestStore(dialect);
    const first = await startTestService({ databaseUrl: store.url });
    const replay = { ...tx(0), transaction_id: 'kept-id' };
    const before = (await first.post(replay)).json();
    await first.post(tx(10_000, 'acc-restart', 'DE'));
    await first.post(tx(-200_000)); // late arrival, outside the 60 s window of the next one
    await first.post(tx(20_000, 'other-account'));
    await first.close();

    const second = await startTestService({ databaseUrl: store.url });
    const replayed = await second.post(replay);
    expect(replayed.headers['idempotent-replayed']).toBe('true');
    expect(replayed.json()).toEqual(before);
    const after = (await second.post(tx(30_000))).json();
    expect(after.features).toMatchObject({
      count_60s: 3,
      count_1h: 4,
      prior_transactions: 3,
      seconds_since_previous: 20,
      distinct_destinations_24h: 2,
    });
    const fourth = (await second.post(tx(40_000))).json();
    expect(fourth.features.count_60s).toBe(4);
    expect(fourth.reasons.map((r: { code: string }) => r.code)).toEqual(['VELOCITY_1M']);
    await second.close();
    await store.drop();
  });

  it('decides transactions that were accepted but left pending by a stop', async () => {
    const store = await createTestStore(dialect);
    const first = await startTestService({ databaseUrl: store.url });
    await first.post(tx(0, 'acc-pending'));
    const parsed = parseTransaction(
      { transaction_id: 'left-pending', ...tx(5_000, 'acc-pending') },
      { currency: 'USD', now: 0 },
    );
    if (!parsed.ok) throw new Error('fixture rejected');
    await storePending(first.service.store.db, [
      rowOf(parsed.value, null, { seq: 1000, receivedAt: T0, partition: 0 }),
    ]);
    expect((await first.request({ url: '/v1/transactions/left-pending' })).json().status).toBe('pending');
    await first.close();

    const second = await startTestService({ databaseUrl: store.url });
    await second.service.transactions.idle();
    const stored = (await second.request({ url: '/v1/transactions/left-pending' })).json();
    expect(stored).toMatchObject({
      status: 'decided',
      decision: { features: { count_60s: 2, prior_transactions: 1 } },
    });
    await second.close();
    await store.drop();
  });
});
