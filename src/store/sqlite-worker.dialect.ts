import type { Worker } from 'node:worker_threads';
import {
  CompiledQuery,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import { startWorker } from '../shared/worker-thread.js';
import {
  TRANSACTION_SQL,
  type SqliteRequest,
  type SqliteResponse,
  type SqliteWorkerOptions,
} from './sqlite-protocol.js';

/** Error raised by SQLite in the worker; `code` is SQLite's (e.g. SQLITE_CONSTRAINT_PRIMARYKEY). */
export class SqliteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'SqliteError';
  }
}

/**
 * Kysely dialect running better-sqlite3 in a worker thread: same SQL as Kysely's
 * SqliteDialect, but no query (and no fsync) ever blocks the caller's event loop.
 */
export class SqliteWorkerDialect implements Dialect {
  constructor(private readonly options: SqliteWorkerOptions) {}

  createAdapter(): DialectAdapter {
    return new SqliteMigrationAdapter();
  }
  createDriver(): Driver {
    return new SqliteWorkerDriver(this.options);
  }
  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }
  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}

/**
 * Kysely's SQLite adapter, except that migrations run in one transaction. SQLite's DDL is
 * transactional, and this dialect's transactions `begin immediate`: a whole migration run holds
 * the write lock, so processes starting together on one file (a service and a CLI command)
 * migrate one after the other instead of running the same migration twice ("table already
 * exists"), and a run that fails leaves the schema as it was. Kysely's own adapter says no
 * transactional DDL and takes no migration lock on SQLite.
 */
class SqliteMigrationAdapter extends SqliteAdapter {
  override get supportsTransactionalDdl(): boolean {
    return true;
  }
}

class SqliteWorkerDriver implements Driver {
  private worker: Worker | undefined;
  private connection: WorkerConnection | undefined;
  /** SQLite has one connection: callers queue for it (transactions hold it). */
  private lock: Promise<void> = Promise.resolve();

  constructor(private readonly options: SqliteWorkerOptions) {}

  async init(): Promise<void> {
    this.worker = startWorker(new URL('./sqlite-worker', import.meta.url), { workerData: this.options });
    this.connection = new WorkerConnection(this.worker);
    await this.connection.executeQuery(CompiledQuery.raw('select 1'));
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    const previous = this.lock;
    let release!: () => void;
    this.lock = new Promise((resolve) => (release = resolve));
    await previous;
    const connection = this.connection as WorkerConnection;
    connection.release = release;
    return connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(TRANSACTION_SQL.begin));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(TRANSACTION_SQL.commit));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(TRANSACTION_SQL.rollback));
  }
  releaseConnection(connection: DatabaseConnection): Promise<void> {
    (connection as WorkerConnection).release();
    return Promise.resolve();
  }

  async destroy(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.worker = undefined;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.postMessage('close');
    await exited;
  }
}

class WorkerConnection implements DatabaseConnection {
  release: () => void = () => undefined;
  private nextId = 0;
  private readonly pending = new Map<number, (response: SqliteResponse) => void>();
  /** Set once the worker has stopped: later queries fail at once instead of waiting forever. */
  private stopped: SqliteError | undefined;

  constructor(private readonly worker: Worker) {
    worker.on('message', (response: SqliteResponse) => {
      this.pending.get(response.id)?.(response);
      this.pending.delete(response.id);
    });
    worker.on('error', (error) => this.failAll(workerFailure(error)));
    worker.on('exit', () => {
      this.stopped = new SqliteError('The SQLite worker stopped.', 'WORKER_EXITED');
      this.failAll(this.stopped);
    });
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    if (this.stopped) return Promise.reject(this.stopped);
    const request: SqliteRequest = { id: ++this.nextId, sql: query.sql, parameters: query.parameters };
    return new Promise((resolve, reject) => {
      this.pending.set(request.id, (response) => {
        if (response.error) reject(new SqliteError(response.error.message, response.error.code));
        else resolve(resultOf<R>(response));
      });
      this.worker.postMessage(request);
    });
  }

  streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new SqliteError('Streaming is not supported by the SQLite worker dialect.', 'UNSUPPORTED');
  }

  private failAll(error: Error): void {
    for (const settle of this.pending.values())
      settle({ id: -1, error: { message: error.message, code: 'WORKER_FAILED' } });
    this.pending.clear();
  }
}

/**
 * The worker's uncaught error as an Error with a message. better-sqlite3's errors reach this
 * thread as plain `{code}` objects (a directory or a file that is not a database given as the
 * store), and the migration's error then ended in an empty reason.
 */
function workerFailure(error: unknown): Error {
  const { message, code } = (error ?? {}) as { message?: unknown; code?: unknown };
  if (error instanceof Error && typeof message === 'string' && message !== '') return error;
  const known = typeof code === 'string' ? code : undefined;
  const reasons: Readonly<Record<string, string>> = {
    SQLITE_CANTOPEN: 'SQLite cannot open the store file (is it a directory, or in a folder it cannot write?)',
    SQLITE_NOTADB: 'the store file is not a SQLite database',
  };
  const reason = (known && reasons[known]) ?? 'the SQLite worker failed';
  return new SqliteError(known ? `${reason} (${known})` : reason, known);
}

function resultOf<R>(response: SqliteResponse): QueryResult<R> {
  if (response.changes === undefined) return { rows: (response.rows ?? []) as R[] };
  return {
    rows: [],
    numAffectedRows: BigInt(response.changes),
    insertId: response.lastInsertRowid === undefined ? undefined : BigInt(response.lastInsertRowid),
  };
}
