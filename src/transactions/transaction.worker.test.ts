import { afterEach, describe, expect, it } from 'vitest';
import { InProcessTransport } from '../transport/index.js';
import type { PublishOptions, PublishResult, StreamName, Transport } from '../transport/transport.js';
import type { DecisionOutcome, DecisionRequest } from './batch-decider.js';
import type { DecisionResult } from './decision.js';
import {
  TransactionWorker,
  WORKER_GROUP,
  type DecisionBatch,
  type WorkerDecider,
} from './transaction.worker.js';

const PARTITIONS = 4;

/** An in-process transport whose `decisions` publishes wait until released. */
class HeldDecisions extends InProcessTransport {
  readonly held: { batch: DecisionBatch; release: () => void }[] = [];

  override publish(
    stream: StreamName,
    payload: Uint8Array | object,
    options: PublishOptions,
  ): Promise<PublishResult> {
    if (stream !== 'decisions') return super.publish(stream, payload, options);
    return new Promise((resolve, reject) => {
      let released = false;
      const release = () => {
        if (!released) super.publish(stream, payload, options).then(resolve, reject);
        released = true;
      };
      this.held.push({ batch: payload as DecisionBatch, release });
    });
  }
}

/** Decides every transaction `approve`, recording the batches. */
class RecordingDecider implements WorkerDecider {
  readonly batches: string[][] = [];

  decide(requests: readonly DecisionRequest[]): Promise<DecisionOutcome[]> {
    this.batches.push(requests.map((r) => r.tx.transaction_id));
    return Promise.resolve(requests.map((r) => ({ result: resultOf(r), replayed: false })));
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
  });

  it('decides the next batches while the previous decisions are published, and acks a batch only after its publish', async () => {
    const held = new HeldDecisions({ partitions: PARTITIONS });
    transport = held;
    const decider = new RecordingDecider();
    worker = new TransactionWorker({ transport: held, decider, defaultCurrency: 'USD' });
    await worker.start();
    const [a, b] = accountsOnTwoPartitions(held);
    const send = (id: string, account: string) =>
      held.publish(
        'transactions',
        { transaction: { transaction_id: id, account_id: account, amount: 10 }, received_at: Date.now() },
        { key: account },
      );
    const lag = async () => (await held.stats('transactions', WORKER_GROUP)).lag;

    await send('t1', a);
    await until(() => held.held.length === 1);
    await send('t2', b);
    // t2 is decided and stored while t1's decisions message is still on its way.
    await until(() => held.held.length === 2);
    expect(decider.batches).toEqual([['t1'], ['t2']]);
    expect(await lag()).toBe(2);

    held.held[1]?.release();
    await until(async () => (await lag()) === 1); // t2 acked
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await lag()).toBe(1); // t1 waits for its publish
    held.held[0]?.release();
    await until(async () => (await lag()) === 0);
    expect(held.held.map((h) => h.batch.decisions.map((d) => d.transaction_id))).toEqual([['t1'], ['t2']]);
  });
});
