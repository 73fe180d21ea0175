import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors.js';
import { migrate, openStore, type Store } from '../store/database.js';
import { InProcessTransport } from '../transport/index.js';
import type { PublishOptions, PublishResult, StreamName } from '../transport/transport.js';
import { StreamIngestion } from './stream-ingestion.js';
import { storePending } from './transaction.repository.js';
import { rowOf } from './transaction.view.js';
import { parseTransaction, type TransactionInput } from './transaction.js';
import type { TransactionMessage } from './transaction.worker.js';

/** An in-process transport whose publishes of one transaction id fail, as JetStream's publisher does when it gives up. */
class FailingFor extends InProcessTransport {
  published = 0;
  /** Publishes of this id take a second. */
  slow = '';
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
    if (options.msgId === this.slow)
      return new Promise((resolve) => setTimeout(resolve, 1000)).then(() =>
        super.publish(stream, payload, options),
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

describe('StreamIngestion.accept (async requests, looked up and stored in runs)', () => {
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

  it('fails only the request whose publish failed; the others are stored pending', async () => {
    const results = await Promise.allSettled(['a', 'bad', 'b'].map((id) => ingestion.accept(tx(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'STORE_UNAVAILABLE' });
    expect(await pendingRows()).toEqual([
      { transaction_id: 'a', amount: 10, status: 'pending' },
      { transaction_id: 'b', amount: 10, status: 'pending' },
    ]);
  });

  it('stores an id sent twice at once one time, with its first payload, and answers a repeat from the store', async () => {
    const answers = await Promise.all([ingestion.accept(tx('x', 1)), ingestion.accept(tx('x', 2))]);
    // The second copy is deduplicated by the stream (its msgId): a replay of the first.
    expect(answers).toEqual([
      { status: 'pending', replayed: false },
      { status: 'pending', replayed: true },
    ]);
    expect(await pendingRows()).toEqual([{ transaction_id: 'x', amount: 1, status: 'pending' }]);
    const stream = await transport.read('transactions', { limit: 10 });
    expect(stream.map((d) => d.json<{ transaction: { amount: number } }>().transaction.amount)).toEqual([1]);
    const published = transport.published;
    expect(await ingestion.accept(tx('x', 3))).toEqual({ status: 'pending', replayed: true });
    expect(transport.published).toBe(published); // found stored: not published again
  });

  it('accepts a published transaction whose pending row cannot be stored; the others of its run are stored', async () => {
    await storePending(store.db, [rowOf(tx('other'), null, { seq: 2, receivedAt: 0, partition: 0 })]);
    const answers = await Promise.all(['a', 'b', 'c'].map((id) => ingestion.accept(tx(id))));
    // Before, b was refused with "retry" although the stream held it: a retry under a new
    // (generated) id was decided a second time.
    expect(answers).toEqual(['a', 'b', 'c'].map(() => ({ status: 'pending', replayed: false })));
    expect((await pendingRows()).map((r) => r.transaction_id)).toEqual(['a', 'other', 'c']);
    const stream = await transport.read('transactions', { limit: 10 });
    expect(stream.map((d) => d.json<TransactionMessage>().transaction.transaction_id)).toEqual([
      'a',
      'b',
      'c',
    ]);
  });

  it('does not hold the other requests while one publish is slow', async () => {
    transport.slow = 'slow';
    const slow = ingestion.accept(tx('slow'));
    await new Promise((resolve) => setTimeout(resolve, 20));
    const started = Date.now();
    expect(await ingestion.accept(tx('quick'))).toEqual({ status: 'pending', replayed: false });
    expect(Date.now() - started).toBeLessThan(500);
    expect(await slow).toEqual({ status: 'pending', replayed: false });
    expect((await pendingRows()).map((r) => r.transaction_id)).toEqual(['quick', 'slow']);
  });

  it('answers STORE_UNAVAILABLE, not an internal error, when the store cannot be read', async () => {
    await store.close();
    await expect(ingestion.accept(tx('late'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await expect(ingestion.submit(tx('late'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    store = openStore({ url: ':memory:' }); // for afterEach
  });
});

describe('StreamIngestion.submit (synchronous requests)', () => {
  let store: Store;
  let transport: FailingFor;
  beforeEach(async () => {
    store = openStore({ url: ':memory:' });
    await migrate(store.db);
    transport = new FailingFor('bad');
  });
  afterEach(async () => {
    await transport.close();
    await store.close();
  });

  // The wait for the decision starts before the publish; its timeout used to reject with
  // nothing listening while the publish still retried, and the unhandled rejection ended the
  // API process (seen with NATS stopped).
  it('answers DECISION_TIMEOUT once a publish slower than the wait is done, with no unhandled rejection', async () => {
    const ingestion = new StreamIngestion(store.db, transport, { decisionTimeoutMs: 50 });
    transport.slow = 'slow';
    const started = Date.now();
    await expect(ingestion.submit(tx('slow'))).rejects.toMatchObject({ code: 'DECISION_TIMEOUT' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000); // after the publish, not before
  });

  it('stores a timed-out transaction as pending, so that it can be read as the answer says', async () => {
    const ingestion = new StreamIngestion(store.db, transport, { decisionTimeoutMs: 50 });
    await expect(ingestion.submit(tx('waits'))).rejects.toMatchObject({
      code: 'DECISION_TIMEOUT',
      details: { status: 'pending' },
    });
    const rows = () => store.db.selectFrom('transactions').select(['transaction_id', 'status']).execute();
    await vi.waitUntil(async () => (await rows()).length > 0); // written after the answer, not before
    expect(await rows()).toEqual([{ transaction_id: 'waits', status: 'pending' }]);
  });

  // A repeat sent while a worker decides the first copy: the lookup found no decision, the
  // decision was published before the request listened for it, and the repeat's publish was
  // a duplicate, so no decision came again: 504 after the wait for a transaction decided in ms.
  it('answers a repeat with the decision a worker publishes while its id is being looked up', async () => {
    const ingestion = new StreamIngestion(store.db, transport, { decisionTimeoutMs: 300 });
    await ingestion.init();
    const repeat = tx('repeat');
    const message: TransactionMessage = { transaction: { ...repeat.raw }, received_at: 0 };
    await transport.publish('transactions', message, { key: repeat.account_id, msgId: 'repeat' });
    const decision = {
      transaction_id: 'repeat',
      account_id: repeat.account_id,
      decision: 'approve',
      risk_score: 0,
      reasons: [],
    };
    void transport.publish('decisions', { decisions: [decision], stored_at: 0 }, { key: repeat.account_id });
    await expect(ingestion.submit(repeat)).resolves.toMatchObject({
      result: { transaction_id: 'repeat', decision: 'approve' },
      replayed: true,
    });
    await ingestion.close();
  });

  it("answers a failed publish's error, and stops waiting for that decision", async () => {
    const ingestion = new StreamIngestion(store.db, transport, { decisionTimeoutMs: 50 });
    await expect(ingestion.submit(tx('bad'))).rejects.toMatchObject({ code: 'STORE_UNAVAILABLE' });
    await new Promise((resolve) => setTimeout(resolve, 100)); // past the wait: nothing fires
  });
});
