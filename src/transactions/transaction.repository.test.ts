import { afterEach, describe, expect, it } from 'vitest';
import { availableDialects, createTestStore, type TestStore } from '../../test/dialects.js';
import { migrate, openStore, type Store } from '../store/database.js';
import {
  findTransactions,
  storeDecisions,
  storePending,
  type NewTransactionRow,
} from './transaction.repository.js';

/** A pending row for transaction `i`. */
function pendingRow(i: number): NewTransactionRow {
  return {
    transaction_id: `tx-${i}`,
    seq: i + 1,
    account_id: `acc-${i % 7}`,
    amount: 10 + i,
    currency: 'USD',
    event_time: 1_780_000_000_000 + i * 1000,
    merchant_id: null,
    merchant_type: null,
    device_type: null,
    channel: null,
    origin_country: null,
    destination_country: null,
    balance: null,
    location_match: null,
    raw: '{}',
    status: 'pending',
    decision: null,
    risk_score: null,
    fraud_probability: null,
    reasons: null,
    rule_errors: null,
    features: null,
    rules_version: null,
    model_version: null,
    shadow_model_version: null,
    shadow_probability: null,
    received_at: 1_780_000_000_000,
    processed_at: null,
    latency_ms: null,
  };
}

function decidedRow(i: number, decision: 'approve' | 'review'): NewTransactionRow {
  return {
    ...pendingRow(i),
    status: 'decided',
    decision,
    risk_score: decision === 'review' ? 60 : 5,
    reasons: '[]',
    rule_errors: '[]',
    features: '{}',
    rules_version: 1,
    processed_at: 1_780_000_000_500,
    latency_ms: 1.5,
  };
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, k) => from + k);

describe.each(await availableDialects())('transaction writes on %s', (dialect) => {
  let test: TestStore;
  let store: Store;

  async function open(): Promise<void> {
    test = await createTestStore(dialect);
    store = openStore({ url: test.url });
    await migrate(store.db);
  }

  const decisions = async (ids: number[]) =>
    new Map(
      (
        await findTransactions(
          store.db,
          ids.map((i) => `tx-${i}`),
        )
      ).map((r) => [r.transaction_id, r.decision]),
    );

  afterEach(async () => {
    await store.close();
    await test.drop();
  });

  // 300 rows: beyond one statement (256), so the chunked transaction is used as well.
  it.each([40, 300])(
    'stores %i decisions: pending rows get theirs, decided rows keep theirs',
    async (count) => {
      await open();
      await storePending(store.db, range(0, 10).map(pendingRow));
      await storeDecisions(
        store.db,
        range(10, 15).map((i) => decidedRow(i, 'review')),
      );
      await storeDecisions(
        store.db,
        range(0, count).map((i) => decidedRow(i, 'approve')),
      );
      const stored = await decisions(range(0, count));
      expect(stored.size).toBe(count);
      expect(range(0, 10).every((i) => stored.get(`tx-${i}`) === 'approve')).toBe(true);
      expect(range(10, 15).every((i) => stored.get(`tx-${i}`) === 'review')).toBe(true);
      expect(range(15, count).every((i) => stored.get(`tx-${i}`) === 'approve')).toBe(true);
    },
  );

  // Distributed mode: the API stores the pending row of a message it has just published while
  // a worker stores that message's decision. Both rows carry the message's stream sequence,
  // which is unique, so on PostgreSQL one insert used to fail (about 1 pair in 100).
  it('stores a pending row and its decision written at the same time, and keeps the decision', async () => {
    await open();
    const ids = range(0, 1500);
    for (const i of ids) {
      await Promise.all([
        storePending(store.db, [pendingRow(i)]),
        storeDecisions(store.db, [decidedRow(i, 'review')]),
      ]);
    }
    const stored = await decisions(ids);
    expect(ids.filter((i) => stored.get(`tx-${i}`) !== 'review')).toEqual([]);
  });

  // The same, a run at a time: the API's pending rows of a run and a worker's decided rows of
  // the same messages, in another order, locked each other's rows on PostgreSQL (deadlock
  // detected); the victim's batch failed and was redelivered after later ones were decided.
  it('stores runs of pending rows and of their decisions written at the same time in other orders', async () => {
    await open();
    for (let round = 0; round < 40; round++) {
      const ids = range(round * 20, round * 20 + 20);
      await Promise.all([
        storePending(store.db, ids.map(pendingRow)),
        storeDecisions(
          store.db,
          [...ids].reverse().map((i) => decidedRow(i, 'review')),
        ),
      ]);
    }
    const ids = range(0, 800);
    const stored = await decisions(ids);
    expect(ids.filter((i) => stored.get(`tx-${i}`) !== 'review')).toEqual([]);
  });

  it('stores each batch with its own values when batches of one shape share compiled SQL', async () => {
    await open();
    await storeDecisions(
      store.db,
      range(0, 5).map((i) => decidedRow(i, 'approve')),
    );
    await storeDecisions(
      store.db,
      range(5, 10).map((i) => ({ ...decidedRow(i, 'review'), amount: 1000 + i, merchant_id: `m-${i}` })),
    );
    const rows = await findTransactions(
      store.db,
      range(0, 10).map((i) => `tx-${i}`),
    );
    const byId = new Map(rows.map((r) => [r.transaction_id, r]));
    for (const i of range(0, 10)) {
      const row = byId.get(`tx-${i}`);
      expect(row?.decision).toBe(i < 5 ? 'approve' : 'review');
      expect(Number(row?.amount)).toBe(i < 5 ? 10 + i : 1000 + i);
      expect(row?.merchant_id).toBe(i < 5 ? null : `m-${i}`);
    }
  });

  it('finds the rows of some ids, or only the decided ones (the same compiled SQL for each count)', async () => {
    await open();
    await storePending(store.db, range(0, 6).map(pendingRow));
    await storeDecisions(
      store.db,
      range(3, 9).map((i) => decidedRow(i, 'approve')),
    );
    const ids = (from: number) => range(from, from + 8).map((i) => `tx-${i}`);
    const found = async (from: number, only?: 'decided') =>
      (await findTransactions(store.db, ids(from), only)).map((r) => r.transaction_id).sort();
    expect(await found(0)).toEqual(ids(0));
    expect(await found(0, 'decided')).toEqual(range(3, 8).map((i) => `tx-${i}`));
    // The second query of each shape runs from the cached SQL: with its own ids and status.
    expect(await found(2, 'decided')).toEqual(range(3, 9).map((i) => `tx-${i}`));
    expect(await found(2)).toEqual(range(2, 9).map((i) => `tx-${i}`));
  });

  it('stores a batch whose rows leave out different optional columns', async () => {
    await open();
    const rows: NewTransactionRow[] = range(0, 4).map((i) => ({
      ...decidedRow(i, 'approve'),
      channel: 'web',
    }));
    const { channel: _left, ...withoutChannel } = rows[1]!;
    rows[1] = withoutChannel;
    await storeDecisions(store.db, rows);
    const stored = await findTransactions(
      store.db,
      range(0, 4).map((i) => `tx-${i}`),
    );
    expect(new Map(stored.map((r) => [r.transaction_id, r.channel]))).toEqual(
      new Map([
        ['tx-0', 'web'],
        ['tx-1', null],
        ['tx-2', 'web'],
        ['tx-3', 'web'],
      ]),
    );
  });

  it.each([40, 300])('stores all %i rows or none when one of them is refused', async (count) => {
    await open();
    const rows = range(0, count).map((i) => decidedRow(i, 'approve'));
    rows[count - 3] = { ...rows[count - 3]!, account_id: null as unknown as string };
    await expect(storeDecisions(store.db, rows)).rejects.toThrow();
    expect((await decisions(range(0, count))).size).toBe(0);
    await expect(storePending(store.db, rows)).rejects.toThrow();
    expect((await decisions(range(0, count))).size).toBe(0);
  });
});

describe('the store reader (SQLite file)', () => {
  it('sees every commit of the writer at once, and cannot write', async () => {
    const test = await createTestStore('sqlite');
    const store = openStore({ url: test.url });
    try {
      await migrate(store.db);
      expect(store.reader).not.toBe(store.db);
      for (const i of range(0, 5)) {
        await storeDecisions(store.db, [decidedRow(i, 'review')]);
        const [row] = await findTransactions(store.reader, [`tx-${i}`]);
        expect(row?.decision).toBe('review');
      }
      await expect(storePending(store.reader, [pendingRow(9)])).rejects.toThrow(/readonly/);
    } finally {
      await store.close();
      await test.drop();
    }
  });
});
