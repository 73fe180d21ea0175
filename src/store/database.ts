import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, sql, SqliteDialect } from 'kysely';
import pg from 'pg';
import { DEFAULT_DATABASE_URL } from '../config.js';
import { AppError } from '../errors.js';
import { migrationProvider } from './migrations/index.js';
import { SqliteWorkerDialect } from './sqlite-worker.dialect.js';
import { StatementCache } from './statement-cache.js';
import { storeBusyError } from './store-errors.js';
import type { Database } from './schema.js';

export type { Database } from './schema.js';
export type Dialect = 'sqlite' | 'postgres';

/** An open store: the Kysely handle and what is needed to close it. */
export interface Store {
  readonly db: Kysely<Database>;
  /**
   * For point reads on the hot path that must not queue behind writes (idempotency and
   * key-revocation checks). SQLite: a read-only connection on the caller's thread, so keep
   * its queries to indexed lookups of a few rows (they run synchronously). PostgreSQL and
   * in-memory SQLite: the same handle as `db`.
   */
  readonly reader: Kysely<Database>;
  readonly dialect: Dialect;
  /** Where the data lives, for messages (a file path or a URL without password). */
  readonly location: string;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** SQLite file path (`:memory:` for tests), `sqlite:`/`file:` URL, or `postgres://…` URL. */
  readonly url: string;
  readonly sqliteSynchronous?: 'full' | 'normal';
  /** PostgreSQL connection pool size. Default 10. */
  readonly poolSize?: number;
}

/** True for `postgres://` and `postgresql://` URLs. */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}

/** Opens the store named by `url`: PostgreSQL for `postgres://…`, otherwise a SQLite file. */
export function openStore(options: StoreOptions): Store {
  if (isPostgresUrl(options.url)) return openPostgres(options.url, options.poolSize ?? 10);
  return openSqlite(sqlitePath(options.url), options.sqliteSynchronous ?? 'full');
}

// int8 (count(*), bigint columns) arrives as text by default; every value we store fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

function openPostgres(url: string, poolSize: number): Store {
  const pool = new pg.Pool({ connectionString: url, max: poolSize });
  // An idle connection dropped by the server (restart, failover) must not crash the process:
  // the pool replaces it, and queries in flight fail with their own errors.
  pool.on('error', (error) =>
    console.error('PostgreSQL connection lost; the pool reconnects:', error.message),
  );
  // One dropped while a query holds it emits 'error' on the connection, which the pool only
  // listens to while it is idle: unheard, it stopped the process. The query in flight fails
  // with its own error (503 STORE_UNAVAILABLE), and the pool discards the connection.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    reader: db,
    dialect: 'postgres',
    location: url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@'),
    close: () => db.destroy(),
  };
}

/** The SQLite file `url` names when there is none yet (opening it creates it); undefined for PostgreSQL, memory or an existing file. */
export function missingSqliteFile(url: string): string | undefined {
  if (isPostgresUrl(url)) return undefined;
  const path = sqlitePath(url);
  return path === ':memory:' || existsSync(path) ? undefined : path;
}

function sqlitePath(url: string): string {
  return url.replace(/^(sqlite|file):(\/\/)?/, '');
}

/**
 * Creates the default store's folder (`./data`, also where `npm run demo` keeps its store) when
 * missing; a SQLite file anywhere else must be in a folder that exists: a mistyped `--db` or
 * `CENTINELA_DATABASE_URL` created a tree of folders and an empty store there, and the command
 * went on as if it were the right one.
 */
function prepareSqliteFolder(path: string): void {
  const folder = dirname(resolve(path));
  if (path === ':memory:' || existsSync(folder)) return;
  if (folder !== dirname(resolve(sqlitePath(DEFAULT_DATABASE_URL))))
    throw new AppError(
      'CONFIG_INVALID',
      `The folder of the SQLite store ${path} does not exist (${folder}): create it, or correct --db or CENTINELA_DATABASE_URL. Only the default store's folder, ./data, is created.`,
    );
  mkdirSync(folder, { recursive: true });
}

function openSqlite(path: string, synchronous: 'full' | 'normal'): Store {
  prepareSqliteFolder(path);
  const db = new Kysely<Database>({ dialect: new SqliteWorkerDialect({ path, synchronous }) });
  if (path === ':memory:')
    return { db, reader: db, dialect: 'sqlite', location: path, close: () => db.destroy() };
  const reader = openSqliteReader(path);
  const close = async () => {
    await reader.destroy();
    await db.destroy();
  };
  return { db, reader, dialect: 'sqlite', location: path, close };
}

/**
 * A read-only connection to the same file in this thread. It opens at its first query (after
 * the writer has created and migrated the file); in WAL mode it sees every committed write
 * at once and never waits for the writer. Its statements are prepared once per SQL text
 * (the API key and idempotency checks run on every request).
 */
function openSqliteReader(path: string): Kysely<Database> {
  const database = () => {
    const connection = new SqliteDatabase(path, { readonly: true, fileMustExist: true });
    connection.pragma('busy_timeout = 5000');
    const statements = new StatementCache(connection);
    return Promise.resolve({
      close: () => connection.close(),
      prepare: (sql: string) => statements.prepare(sql),
    });
  };
  return new Kysely<Database>({ dialect: new SqliteDialect({ database }) });
}

/** The store's migrator (also for tests that migrate to a given version). */
export function createMigrator(db: Kysely<Database>): Migrator {
  // Features add migrations independently; a database may have run a later one first.
  return new Migrator({ db, provider: migrationProvider, allowUnorderedMigrations: true });
}

/**
 * How long a start waits for another process migrating the same SQLite file (each attempt
 * waits out SQLite's 5 s busy timeout). PostgreSQL's migration lock waits by itself.
 */
const MIGRATION_WAIT_MS = 60_000;

/**
 * Brings the schema up to date; safe to run at every start, by several processes at once.
 * A store this build has fully migrated is only read, so a start never waits for another
 * process's write lock without a reason.
 */
export async function migrate(db: Kysely<Database>): Promise<void> {
  const migrator = createMigrator(db);
  if (await upToDate(db, migrator).catch((error: unknown) => Promise.reject(migrationError(error)))) return;
  const deadline = Date.now() + MIGRATION_WAIT_MS;
  for (;;) {
    const { error, results } = await migrator.migrateToLatest();
    const busy = error !== undefined && storeBusyError(error) !== undefined;
    if (busy && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200)); // another process is migrating
      continue;
    }
    const failed = results?.find((r) => r.status === 'Error');
    if (!error && !failed) return;
    throw migrationError(error, failed?.migrationName);
  }
}

/**
 * Every migration of this build has run, and no other: a store migrated by a newer build
 * goes on to Kysely, which refuses it ("previously executed migration … is missing").
 */
async function upToDate(db: Kysely<Database>, migrator: Migrator): Promise<boolean> {
  const migrations = await migrator.getMigrations();
  if (migrations.some((m) => m.executedAt === undefined)) return false;
  const { rows } = await sql<{ n: number }>`SELECT COUNT(*) AS n FROM kysely_migration`.execute(db);
  return Number(rows[0]?.n) === migrations.length;
}

/** STORE_UNAVAILABLE with the store's own reason (`database "x" does not exist`, a busy store). */
function migrationError(error: unknown, migration?: string): AppError {
  const reason = error instanceof Error ? `: ${error.message}` : '';
  const what = migration ? `Migration ${migration} failed` : 'The store could not be migrated';
  return storeBusyError(error) ?? new AppError('STORE_UNAVAILABLE', `${what}${reason}`, { cause: error });
}
