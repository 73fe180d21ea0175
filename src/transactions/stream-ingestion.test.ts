import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { migrate, openStore, type Store } from '../store/database.js';
import { InProcessTransport } from '../transport/index.js';
import type { PublishOptions, PublishResult, StreamName } from '../transport/transport.js';
import { StreamIngestion } from './stream-ingestion.js';
import { parseTransaction, type TransactionInput } from './transaction.js';

/** An in-process transport whose publishes of one transaction id fail, as JetStream's publisher does when it gives up. */
class FailingFor extends InProcessTransport {
  published = 0;
  constructor(private readonly failing: string) {
    super({ partitions: 4, logger: { warn: () => undefined, error: () => undefined } });
  }
  override publish(
    stream: StreamName,
    payload: Uint8Array | object,
    options: PublishOptions,
  ): Promise<PublishResult> {
    this.published++;
    if (options.msgId === this.failing)
      return Promise.reject(
        new AppError('STORE_UNAVAILABLE', "Could not store the message in 'transactions'."),
      );
    return super.publish(stream, payload, options);
  }
}

function tx(id: string, amount = 10): TransactionInput {
  const parsed = parseTransaction(
    { transaction_id: id, account_id: `acc-${id}`, amount },
    { currency: 'EUR', now: 0 },
  );
  if (!parsed.ok) throw new Error('invalid test transaction');
  return parsed.value;
}

describe('StreamIngestion.accept (async requests, accepted in runs)', () => {
  let store: Store;
  let transport: FailingFor;
  let ingestion: StreamIngestion;
  beforeEach(async () => {
    store = openStore({ url: ':memory:' });
    await migrate(store.db);
    transport = new FailingFor('bad');
    ingestion = new StreamIngestion(store.db, transport, { decisionTimeoutMs: 1000 });
  });
  afterEach(async () => {
    await transport.close();
    await store.close();
  });

  const pendingRows = () =>
    store.db
      .selectFrom('transactions')
      .select(['transaction_id', 'amount', 'status'])
      .orderBy('seq')
      .execute();

  it('fails only the request whose publish failed; the others of its run are stored pending', async () => {
    const results = await Promise.allSettled(['a', 'bad', 'b'].map((id) => ingestion.accept(tx(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await pendingRows()).toEqual([
      { transaction_id: 'a', amount: 10, status: 'pending' },
      { transaction_id: 'b', amount: 10, status: 'pending' },
    ]);
  });

  it('publishes and stores an id sent twice in one run once, with its first payload', async () => {
    const answers = await Promise.all([ingestion.accept(tx('x', 1)), ingestion.accept(tx('x', 2))]);
    expect(answers).toEqual([{ status: 'pending' }, { status: 'pending' }]);
    expect(transport.published).toBe(1);
    expect(await pendingRows()).toEqual([{ transaction_id: 'x', amount: 1, status: 'pending' }]);
    expect(await ingestion.accept(tx('x', 3))).toEqual({ status: 'pending' });
    expect(transport.published).toBe(1);
  });
});
