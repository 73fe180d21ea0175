/**
 * Worker thread that owns the SQLite connections. Commits (and their fsync) happen here,
 * so the API's event loop keeps parsing and scoring requests while a batch is written.
 */
import { parentPort, workerData } from 'node:worker_threads';
import SqliteDatabase from 'better-sqlite3';
import { BackgroundCheckpoints } from './background-checkpoints.js';
import {
  TRANSACTION_SQL,
  type SqliteRequest,
  type SqliteResponse,
  type SqliteWorkerOptions,
} from './sqlite-protocol.js';
import { StatementCache } from './statement-cache.js';

/**
 * Page caches, KiB. Single statements (scoring batches of up to 256 rows) run on a connection
 * with SQLite's default 2 MB: every commit that splits a B-tree page walks the whole cache,
 * because balance_nonroot() renumbers pages through the lock-byte page number (262,145) and
 * the commit's truncate of pages past the end of the file then scans every cached page and
 * hash slot (pcache1TruncateUnsafe, a fifth of this thread's time per scored transaction with
 * 64 MB). Explicit transactions (a structuring run's batches of 19,200 alerts, larger scoring
 * batches) run on a second connection with 64 MB, so each index page is written once per
 * batch instead of re-read and rewritten; the hash table SQLite grows for it never shrinks,
 * hence two connections rather than one whose cache size changes. A larger cache did not help
 * the alerts: storing 3.3M of them (10M rows, rules and z-score) took 87.4 s with 256 MB
 * against 70.7 and 78.6 s with 64 MB (16 MB: 70.2 s, 32 MB: 71.8 s).
 */
const LIVE_PAGE_CACHE_KIB = 2000;
const BULK_PAGE_CACHE_KIB = 65536;

interface Connection {
  readonly db: SqliteDatabase.Database;
  readonly statements: StatementCache;
}

const options = workerData as SqliteWorkerOptions;
const inMemory = options.path === ':memory:';

function connect(pageCacheKib: number): Connection {
  const db = new SqliteDatabase(options.path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.synchronous}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.pragma(`cache_size = -${pageCacheKib}`);
  return { db, statements: new StatementCache(db) };
}

const live = connect(LIVE_PAGE_CACHE_KIB);
/** Log checkpoints in a thread of their own; an in-memory database has no log. */
const checkpoints = inMemory ? undefined : new BackgroundCheckpoints(options, live.db);
/** Opened at the first explicit transaction; an in-memory database has only the one connection. */
let bulk: Connection | undefined;

/** The driver runs one request at a time, and a transaction's requests in a row. */
function connectionFor(sql: string): Connection {
  if (bulk?.db.inTransaction) return bulk;
  if (sql !== TRANSACTION_SQL.begin || inMemory) return live;
  if (!bulk) {
    bulk = connect(BULK_PAGE_CACHE_KIB);
    checkpoints?.adopt(bulk.db);
  }
  return bulk;
}

function execute(request: SqliteRequest): SqliteResponse {
  const statement = connectionFor(request.sql).statements.prepare(request.sql);
  if (statement.reader) return { id: request.id, rows: statement.all(...request.parameters) };
  const { changes, lastInsertRowid } = statement.run(...request.parameters);
  return { id: request.id, rows: [], changes, lastInsertRowid: Number(lastInsertRowid) };
}

/** Set at 'close': statements that arrive while the checkpoint thread stops are refused. */
let closing = false;

parentPort?.on('message', (request: SqliteRequest | 'close') => {
  if (request === 'close') {
    closing = true;
    void close();
    return;
  }
  if (closing) {
    const error = { message: 'The SQLite store is closing.', code: 'WORKER_CLOSING' };
    parentPort?.postMessage({ id: request.id, error } satisfies SqliteResponse);
    return;
  }
  try {
    parentPort?.postMessage(execute(request));
  } catch (error) {
    const { message, code } = error as { message: string; code?: string };
    parentPort?.postMessage({ id: request.id, error: { message, code } } satisfies SqliteResponse);
  }
  // After the answer: a checkpoint here delays the next statement, not this one. Explicit
  // transactions run on `bulk` (see connectionFor); `live` is only in one in memory, without checkpoints.
  if (!bulk?.db.inTransaction) checkpoints?.afterStatement(live.db);
});

async function close(): Promise<void> {
  await checkpoints?.close();
  bulk?.db.close();
  live.db.close();
  parentPort?.close();
}
