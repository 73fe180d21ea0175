import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore, type Store } from '../src/store/database.js';
import { storeUnavailableError } from '../src/store/store-errors.js';
import {
  adminQuery,
  availableDialects,
  createTestStore,
  TEST_DATABASE_URL,
  type TestStore,
} from './dialects.js';
import { startTestService, type TestService } from './helpers.js';

const dialects = await availableDialects();

/** Ends every session of the test database `name` (as a failover or an administrator would). */
const terminateSessions = (name: string) =>
  adminQuery(
    `select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`,
  );

/** Waits until the test database `name` is running the `pg_sleep` query. */
async function sleepingQueryRunning(name: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    for (let tries = 0; tries < 200; tries++) {
      const { rowCount } = await client.query(
        `select 1 from pg_stat_activity where datname = $1 and state = 'active' and query like 'select pg_sleep%'`,
        [name],
      );
      if (rowCount) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the pg_sleep query did not start');
  } finally {
    await client.end();
  }
}

describe.runIf(dialects.includes('postgres'))('PostgreSQL going away', () => {
  let test: TestStore;
  let name: string;
  beforeAll(async () => {
    test = await createTestStore('postgres');
    name = new URL(test.url).pathname.slice(1);
  });
  afterAll(async () => {
    await adminQuery(`alter database ${name} allow_connections true`);
    await test.drop();
  });

  it('a connection ended under a query fails that query as STORE_UNAVAILABLE; the process and the pool go on', async () => {
    const store: Store = openStore({ url: test.url });
    try {
      const slow = sql`select pg_sleep(10)`.execute(store.db);
      const failure = slow.then(
        () => undefined,
        (error: unknown) => error,
      );
      await sleepingQueryRunning(name);
      await terminateSessions(name);
      // Before the fix the ended connection's 'error' event had no listener and stopped the process.
      expect(storeUnavailableError(await failure)?.code).toBe('STORE_UNAVAILABLE');
      // The ended connection may go back to the pool before its socket closes (the server's
      // FATAL message comes first): the next query on it fails as a store outage too, and a
      // retry, as a client does after a 503, gets a new connection.
      const selectOne = () => sql<{ one: number }>`select 1 as one`.execute(store.db);
      const first = await selectOne().catch((error: unknown) => error);
      if (first instanceof Error) expect(storeUnavailableError(first)?.code).toBe('STORE_UNAVAILABLE');
      const { rows } = first instanceof Error ? await selectOne() : (first as { rows: { one: number }[] });
      expect(rows).toEqual([{ one: 1 }]);
    } finally {
      await store.close();
    }
  });

  describe('the API while the database refuses connections', () => {
    let t: TestService;
    beforeAll(async () => {
      t = await startTestService({ databaseUrl: test.url });
    });
    afterAll(() => t.destroy());

    it.each(['/v1/audit', '/v1/keys', '/v1/transactions', '/v1/models'])(
      '%s answers 503 STORE_UNAVAILABLE with Retry-After, then 200 once it is back',
      async (url) => {
        await adminQuery(`alter database ${name} allow_connections false`);
        await terminateSessions(name);
        const down = await t.request({ url });
        expect([down.statusCode, down.json().error.code, down.headers['retry-after']]).toEqual([
          503,
          'STORE_UNAVAILABLE',
          '1',
        ]);
        await adminQuery(`alter database ${name} allow_connections true`);
        expect((await t.request({ url })).statusCode).toBe(200);
      },
    );
  });
});
