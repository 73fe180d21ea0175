import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../store/database.js';
import { AlertWriter } from './alerts.js';
import type { NewAlertRow } from './structuring.repository.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A store whose transactions fail `failAfterMs` after they start, or store every row. */
function fakeStore(failAfterMs?: number) {
  const stored: unknown[] = [];
  const db = {
    transaction: () => ({
      execute: async (work: (trx: unknown) => Promise<number>) => {
        if (failAfterMs !== undefined) {
          await sleep(failAfterMs);
          throw new Error('store down');
        }
        return work({
          insertInto: () => ({
            values: (rows: unknown[]) => ({
              onConflict: () => ({
                executeTakeFirst: () => {
                  stored.push(...rows);
                  return Promise.resolve({ numInsertedOrUpdatedRows: BigInt(rows.length) });
                },
              }),
            }),
          }),
        });
      },
    }),
  };
  return { db: db as unknown as Kysely<Database>, stored };
}

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ alert_key: `k${i}` }) as NewAlertRow);

describe('AlertWriter', () => {
  it('stores every batch and counts what was stored', async () => {
    const { db, stored } = fakeStore();
    const writer = new AlertWriter(db);
    await writer.write(rows(3));
    await writer.write(rows(2));
    expect(await writer.finish()).toBe(5);
    expect(stored).toHaveLength(5);
  });

  it('reports a batch that fails while the caller is busy elsewhere at its next call, not as an unhandled rejection', async () => {
    const { db } = fakeStore(5);
    const writer = new AlertWriter(db);
    await writer.write(rows(3));
    await sleep(30); // the insert fails meanwhile (vitest fails the file on an unhandled rejection)
    await expect(writer.write(rows(1))).rejects.toThrow('store down');
    await writer.settle();
  });
});
