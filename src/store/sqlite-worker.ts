/**
 * Worker thread that owns the SQLite connection. Commits (and their fsync) happen here,
 * so the API's event loop keeps parsing and scoring requests while a batch is written.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import type { SqliteRequest, SqliteResponse, SqliteWorkerOptions } from './sqlite-protocol.js';
import { StatementCache } from './statement-cache.js';

const options = workerData as SqliteWorkerOptions;
if (options.path !== ':memory:') mkdirSync(dirname(resolve(options.path)), { recursive: true });
const db = new SqliteDatabase(options.path);
db.pragma('journal_mode = WAL');
db.pragma(`synchronous = ${options.synchronous}`);
db.pragma('busy_timeout = 5000');
db.pragma('foreign_keys = ON');
// A 64 MB page cache (SQLite's default is 2 MB): large transactions, such as a structuring
// run's alert batches, then write each index page once instead of re-reading and rewriting it.
db.pragma('cache_size = -65536');

const statements = new StatementCache(db);

function execute(request: SqliteRequest): SqliteResponse {
  const statement = statements.prepare(request.sql);
  if (statement.reader) return { id: request.id, rows: statement.all(...request.parameters) };
  const { changes, lastInsertRowid } = statement.run(...request.parameters);
  return { id: request.id, rows: [], changes, lastInsertRowid: Number(lastInsertRowid) };
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
