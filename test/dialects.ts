import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { openStore, type Store } from '../src/store/database.js';
import { startTestService, tempDir, type TestService } from './helpers.js';

/** PostgreSQL server the integration tests use (a database is created per test file). */
export const TEST_DATABASE_URL =
  process.env.CENTINELA_TEST_DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/test';

/** A store for one test file: its URL and how to remove it. */
export interface TestStore {
  readonly dialect: 'sqlite' | 'postgres';
  readonly url: string;
  drop(): Promise<void>;
}

async function reachable(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * The dialects to run the storage suite against: SQLite always; PostgreSQL when it answers.
 * Under CI=true an unreachable PostgreSQL is an error, never a skip.
 */
export async function availableDialects(): Promise<('sqlite' | 'postgres')[]> {
  if (await reachable(TEST_DATABASE_URL)) return ['sqlite', 'postgres'];
  if (process.env.CI === 'true')
    throw new Error(`PostgreSQL is not reachable at ${TEST_DATABASE_URL} (CI=true)`);
  console.warn(`PostgreSQL not reachable at ${TEST_DATABASE_URL}: PostgreSQL storage tests skipped`);
  return ['sqlite'];
}

/** A fresh, empty store of `dialect`: a SQLite file in a temp folder or a new PostgreSQL database. */
export async function createTestStore(dialect: 'sqlite' | 'postgres'): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const url = join(tempDir(), 'centinela.db');
    return { dialect, url, drop: () => Promise.resolve() };
  }
  const name = `centinela_test_${randomBytes(6).toString('hex')}`;
  await adminQuery(`create database ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    dialect,
    url: url.toString(),
    drop: () => adminQuery(`drop database if exists ${name} with (force)`),
  };
}

/** Runs `sql` on the test server's own database (creating, dropping or locking out test databases). */
export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fresh, unmigrated store of `dialect` for a describe block: opened before its tests, closed and dropped after. */
export function storeForSuite(dialect: 'sqlite' | 'postgres'): Pick<Store, 'db'> {
  let test: TestStore;
  let store: Store;
  beforeAll(async () => {
    test = await createTestStore(dialect);
    store = openStore({ url: test.url });
  });
  afterAll(async () => {
    await store.close();
    await test.drop();
  });
  return {
    get db() {
      return store.db;
    },
  };
}

/** The whole service on a fresh store of `dialect` for a describe block: started before its tests, stopped (its store dropped) after. */
export function serviceForSuite(dialect: 'sqlite' | 'postgres'): () => TestService {
  let store: TestStore;
  let service: TestService;
  beforeAll(async () => {
    store = await createTestStore(dialect);
    service = await startTestService({ databaseUrl: store.url });
  });
  afterAll(async () => {
    await service.destroy();
    await store.drop();
  });
  return () => service;
}
