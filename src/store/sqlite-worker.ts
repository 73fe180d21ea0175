/**
 * Worker thread that owns the SQLite connection. Commits (and their fsync) happen here,
 * so the API's event loop keeps parsing and scoring requests while a batch is written.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import {
  TRANSACTION_SQL,
  type SqliteRequest,
  type SqliteResponse,
  type SqliteWorkerOptions,
} from './sqlite-protocol.js';
import { StatementCache } from './statement-cache.js';

const options = workerData as SqliteWorkerOptions;
if (options.path !== ':memory:') mkdirSync(dirname(resolve(options.path)), { recursive: true });
const db = new SqliteDatabase(options.path);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${options.synchronous}`);
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
/**
 * Page cache, KiB. Explicit transactions (a structuring run's 20,000-alert batches) get 64 MB:
 * each index page is then written once per batch instead of re-read and rewritten. Single
 * statements (the scoring batches) keep SQLite's default 2 MB, because every commit that
 * splits a B-tree page walks the whole cache: balance_nonroot() renumbers pages through the
 * lock-byte page number (page 262,145), so the commit's truncate of pages past the end of the
 * file scans every cached page (pcache1TruncateUnsafe, a fifth of this thread's time per
 * scored transaction with 64 MB).
 */
const STATEMENT_CACHE_KIB = 2000;
const TRANSACTION_CACHE_KIB = 65536;
const setCacheSize = (kib: number) => db.pragma(`cache_size = -${kib}`);
setCacheSize(STATEMENT_CACHE_KIB);

const statements = new StatementCache(db);

function execute(request: SqliteRequest): SqliteResponse {
  if (request.sql === TRANSACTION_SQL.begin) setCacheSize(TRANSACTION_CACHE_KIB);
  try {
    const statement = statements.prepare(request.sql);
    if (statement.reader) return { id: request.id, rows: statement.all(...request.parameters) };
    const { changes, lastInsertRowid } = statement.run(...request.parameters);
    return { id: request.id, rows: [], changes, lastInsertRowid: Number(lastInsertRowid) };
  } finally {
    if (request.sql === TRANSACTION_SQL.commit || request.sql === TRANSACTION_SQL.rollback)
      setCacheSize(STATEMENT_CACHE_KIB);
  }
}

parentPort?.on('message', (request: SqliteRequest | 'close') => {
  if (request === 'close') {
    db.close();
    parentPort?.close();
    return;
  }
  try {
    parentPort?.postMessage(execute(request));
  } catch (error) {
    const { message, code } = error as { message: string; code?: string };
    parentPort?.postMessage({ id: request.id, error: { message, code } } satisfies SqliteResponse);
  }
});
