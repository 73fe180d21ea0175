import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, openStore, type Store } from '../store/database.js';
import { partitionOf } from '../shared/partition.js';
import { assertStoredPartitions } from './partition-check.js';
import { parseTransaction } from './transaction.js';
import { storePending } from './transaction.repository.js';
import { rowOf } from './transaction.view.js';

describe('assertStoredPartitions', () => {
  let store: Store;
  beforeEach(async () => {
    store = openStore({ url: ':memory:' });
    await migrate(store.db);
  });
  afterEach(() => store.close());

  /** Stores pending transactions of `accounts`, partitioned over `partitions`. */
  async function storeSpreadOver(partitions: number, accounts: readonly string[]) {
    const rows = accounts.map((account, i) => {
      const parsed = parseTransaction(
        { transaction_id: `t${i}`, account_id: account, amount: 5 },
        { currency: 'EUR', now: 0 },
      );
      if (!parsed.ok) throw new Error('invalid test transaction');
      const partition = partitionOf(account, partitions);
      return rowOf(parsed.value, null, { seq: i + 1, receivedAt: 0, partition });
    });
    await storePending(store.db, rows);
  }

  const accounts = Array.from({ length: 40 }, (_, i) => `acc-${i}`);

  it('accepts an empty store and the count the stored transactions were spread over', async () => {
    await expect(assertStoredPartitions(store.db, 8)).resolves.toBeUndefined();
    await storeSpreadOver(16, accounts);
    await expect(assertStoredPartitions(store.db, 16)).resolves.toBeUndefined();
  });

  it('ignores rows stored before partitions existed, and names no count that few rows cannot tell', async () => {
    await storeSpreadOver(16, ['one']);
    await store.db.updateTable('transactions').set({ partition: -1 }).execute();
    await expect(assertStoredPartitions(store.db, 8)).resolves.toBeUndefined();
    await store.db
      .updateTable('transactions')
      .set({ partition: partitionOf('one', 16) })
      .execute();
    await expect(assertStoredPartitions(store.db, 64)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('another number of partitions'),
      details: { expected: null },
    });
  });

  it('refuses another count, naming the stored one', async () => {
    await storeSpreadOver(16, accounts);
    await expect(assertStoredPartitions(store.db, 32)).rejects.toMatchObject({
      code: 'CONFIG_INVALID',
      message: expect.stringContaining('set 16'),
      details: { field: 'CENTINELA_PARTITIONS', partitions: 32, expected: 16 },
    });
  });
});
