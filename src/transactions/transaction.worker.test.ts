import { afterEach, describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { InProcessTransport } from '../transport/index.js';
import type { PublishOptions, PublishResult, StreamName, Transport } from '../transport/transport.js';
import type { DecisionOutcome, DecisionRequest } from './batch-decider.js';
import type { DecisionResult } from './decision.js';
import {
  TransactionWorker,
  WORKER_GROUP,
  type DeadLetter,
  type DecisionBatch,
  type WorkerDecider,
  type WorkerOptions,
} from './transaction.worker.js';

const PARTITIONS = 4;

interface HeldPublish {
  readonly batch: DecisionBatch;
  /** Lets the publish through. */
  release(): void;
  /** Fails the publish as JetStream's publisher does when it gives up. */
  fail(): void;
}

/** An in-process transport whose `decisions` publishes wait until released (or failed). */
class HeldDecisions extends InProcessTransport {
  readonly held: HeldPublish[] = [];

  override publish(
    stream: StreamName,
    payload: Uint8Array | object,
    options: PublishOptions,
  ): Promise<PublishResult> {
    if (stream !== 'decisions') return super.publish(stream, payload, options);
    return new Promise((resolve, reject) => {
      let settled = false;
      const once = (settle: () => void) => () => {
        if (!settled) settle();
        settled = true;
      };
      this.held.push({
        batch: payload as DecisionBatch,
        release: once(() => void super.publish(stream, payload, options).then(resolve, reject)),
        fail: once(() => reject(new AppError('STORE_UNAVAILABLE', 'publish failed'))),
      });
    });
  }
}

/**
 * Records the batches it is asked to decide (`batches`) and those it decided (`decided`); its
 * decisions carry only the ids. `failure` may fail a batch, as a store would.
 */
class RecordingDecider implements WorkerDecider {
  readonly batches: string[][] = [];
  readonly decided: string[][] = [];
  failure: (ids: readonly string[]) => Promise<Error | undefined> = () => Promise.resolve(undefined);

  async decide(requests: readonly DecisionRequest[]): Promise<DecisionOutcome[]> {
    const ids = requests.map((r) => r.tx.transaction_id);
    this.batches.push(ids);
    const failure = await this.failure(ids);
    if (failure) throw failure;
    this.decided.push(ids);
    return requests.map((r) => ({ result: resultOf(r), replayed: false }));
  }
  loadPartitions(): Promise<void> {
    return Promise.resolve();
  }
  dropPartitions(): Promise<void> {
    return Promise.resolve();
  }
}

function resultOf(request: DecisionRequest): DecisionResult {
  return { transaction_id: request.tx.transaction_id, account_id: request.tx.account_id } as DecisionResult;
}

async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Account ids on two different partitions. */
function accountsOnTwoPartitions(transport: Transport): [string, string] {
  const first = 'acct-0';
  for (let i = 1; ; i++) {
    const other = `acct-${i}`;
    if (transport.partitionOf(other) !== transport.partitionOf(first)) return [first, other];
  }
}

describe('TransactionWorker', () => {
  let transport: HeldDecisions | undefined;
  let worker: TransactionWorker | undefined;
  afterEach(async () => {
    transport?.held.forEach((h) => h.release());
    await worker?.stop();
    await transport?.close();
  });

  /** A worker on a fresh transport, and how to send it a transaction and read its lag. */
  async function started(options: Partial<WorkerOptions> = {}, decider = new RecordingDecider()) {
    const held = new HeldDecisions({ partitions: PARTITIONS, logger: { warn: () => {}, error: () => {} } });
    transport = held;
    worker = new TransactionWorker({ transport: held, decider, defaultCurrency: 'USD', ...options });
    await worker.start();
    const send = (id: string, account: string) =>
      held.publish(
        'transactions',
        { transaction: { transaction_id: id, account_id: account, amount: 10 }, received_at: Date.now() },
        { key: account },
      );
    const lag = async () => (await held.stats('transactions', WORKER_GROUP)).lag;
    /** Releases every held decisions publish until the workers' lag is 0. */
    const drained = () =>
      until(async () => {
        held.held.forEach((h) => h.release());
        return (await lag()) === 0;
      });
    const accounts = accountsOnTwoPartitions(held);
    return { held: held.held, transport: held, decider, send, lag, drained, accounts };
  }

  it('decides the next batches while the previous decisions are published, and acks a batch only after its publish', async () => {
    const { held, decider, send, lag, accounts } = await started();
    await send('t1', accounts[0]);
    await until(() => held.length === 1);
    await send('t2', accounts[1]);
    // t2 is decided and stored while t1's decisions message is still on its way.
    await until(() => held.length === 2);
    expect(decider.batches).toEqual([['t1'], ['t2']]);
    expect(await lag()).toBe(2);

    held[1]?.release();
    await until(async () => (await lag()) === 1); // t2 acked
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await lag()).toBe(1); // t1 waits for its publish
    held[0]?.release();
    await until(async () => (await lag()) === 0);
    expect(held.map((h) => h.batch.decisions.map((d) => d.transaction_id))).toEqual([['t1'], ['t2']]);
  });

  it('leaves a batch whose decisions could not be published unacked, and publishes them when it comes back', async () => {
    const { held, decider, send, lag, accounts } = await started();
    await send('t1', accounts[0]);
    await until(() => held.length === 1);
    held[0]?.fail();
    // Delivered again after a back-off: decided again (a stored decision's replay, in a real
    // decider) and published again.
    await until(() => held.length === 2);
    expect(await lag()).toBe(1);
    held[1]?.release();
    await until(async () => (await lag()) === 0);
    expect(decider.batches).toEqual([['t1'], ['t1']]);
    expect(held[1]?.batch.decisions.map((d) => d.transaction_id)).toEqual(['t1']);
  });

  it('decides a batch that failed on a store outage again before any later transaction of its partition', async () => {
    const decider = new RecordingDecider();
    let outageOver: () => void = () => undefined;
    const outage = new Promise<void>((resolve) => (outageOver = resolve));
    decider.failure = async (ids) => {
      if (decider.batches.length > 1) return undefined;
      await outage; // t2 arrives while the store is down
      return new AppError('STORE_UNAVAILABLE', `store down for ${ids.join(',')}`);
    };
    const { held, send, lag, accounts } = await started({}, decider);
    await send('t1', accounts[0]);
    await until(() => decider.batches.length === 1);
    await send('t2', accounts[0]);
    outageOver();
    await until(() => held.length > 0);
    held.forEach((h) => h.release());
    await until(async () => (await lag()) === 0);
    // Before, t1 went back with a one-second delay and t2 was decided first, without it in its
    // velocity windows.
    expect(decider.decided.flat()).toEqual(['t1', 't2']);
  });

  it('never dead-letters for a store outage, however many deliveries it lasts', async () => {
    const decider = new RecordingDecider();
    decider.failure = (ids) =>
      Promise.resolve(
        decider.batches.length <= 6
          ? new AppError('STORE_UNAVAILABLE', `store down for ${ids.join(',')}`)
          : undefined,
      );
    const { transport, send, drained, accounts } = await started({ maxDeliver: 2, ackWaitMs: 400 }, decider);
    await send('t1', accounts[0]);
    await drained();
    // Before, t1 went to dlq on its second delivery, with the store still down.
    expect(decider.batches.length).toBeGreaterThan(6);
    expect(decider.decided.flat()).toEqual(['t1']);
    expect(await transport.read('dlq', { limit: 10 })).toEqual([]);
  });

  it('dead-letters a message whose write the store refuses: no outage, though reported as STORE_UNAVAILABLE', async () => {
    const decider = new RecordingDecider();
    const refused = Object.assign(new Error('duplicate key value violates unique constraint'), {
      code: '23505',
    });
    decider.failure = () =>
      Promise.resolve(
        new AppError('STORE_UNAVAILABLE', 'The transaction could not be stored; retry.', { cause: refused }),
      );
    const { transport, send, drained, accounts } = await started({ maxDeliver: 2, ackWaitMs: 400 }, decider);
    await send('t1', accounts[0]);
    await drained();
    const dlq = (await transport.read('dlq', { limit: 10 })).map((d) => d.json<DeadLetter>().attempts);
    expect(dlq).toEqual([2]);
  });

  it('holds back the rest of its partition while a failing transaction is retried, until it goes to dlq', async () => {
    const decider = new RecordingDecider();
    decider.failure = (ids) =>
      Promise.resolve(ids.includes('t1') ? new Error('cannot decide t1') : undefined);
    const { transport, send, drained, accounts } = await started({ maxDeliver: 3, ackWaitMs: 400 }, decider);
    await send('t1', accounts[0]);
    await send('t2', accounts[0]);
    await send('t3', accounts[1]); // another partition: not held back
    await drained();
    const lastTryOfT1 = decider.batches.findLastIndex((ids) => ids.includes('t1'));
    const t2 = decider.batches.findIndex((ids) => ids.includes('t2') && !ids.includes('t1'));
    expect(decider.batches.filter((ids) => ids.length === 1 && ids[0] === 't1')).toHaveLength(3);
    expect(t2).toBeGreaterThan(lastTryOfT1);
    expect(decider.decided.flat().sort()).toEqual(['t2', 't3']);
    const dlq = (await transport.read('dlq', { limit: 10 })).map((d) => d.json<DeadLetter>());
    expect(dlq.map((l) => [JSON.parse(l.payload).transaction.transaction_id, l.attempts])).toEqual([
      ['t1', 3],
    ]);
  });
});
