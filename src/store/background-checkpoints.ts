import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';
import { startWorker } from '../shared/worker-thread.js';
import type { CheckpointRequest, CheckpointResult, SqliteWorkerOptions } from './sqlite-protocol.js';
import { passiveCheckpoint, SQLITE_AUTOCHECKPOINT_PAGES } from './wal.js';

/** Least time between the starts of two background passes while statements come in. */
const PASS_INTERVAL_MS = 20;
/** 16 MB of 4 KiB pages. */
export const DEFAULT_RESTART_LOG_AFTER_FRAMES = 4000;
/**
 * Statements before the checkpoint thread starts: short-lived stores (a CLI command, a test)
 * never start it and keep SQLite's own checkpoints.
 */
export const START_AFTER_STATEMENTS = 500;

/**
 * Write-ahead-log checkpoints off the commit path of the SQLite writer thread.
 *
 * By default SQLite checkpoints inside the commit that takes the log past 1,000 pages: it
 * copies them into the database file and fsyncs it. At 5,000 scored transactions a second
 * that was more than ten commits a second, each taking 5–47 ms instead of about 1, and every
 * request queued behind it waited as long.
 *
 * Here a second thread (checkpoint.worker.ts) copies the log while statements come in, at
 * most every PASS_INTERVAL_MS. Such a passive checkpoint never catches up with a writer that
 * keeps writing, and SQLite only starts the log again from its beginning once all of it has
 * been copied; so once a pass reports more than `restartLogAfterFrames` frames, the writer
 * itself checkpoints right after answering its next statement, which only has to copy the
 * frames written since that pass began, and its following commit starts the log again (unless
 * a reader is in the middle of a read then: the next round tries again). When statements
 * stop, what the last pass left stays in the log (it is as durable there) until the next
 * statement or the close. If the checkpoint thread fails, SQLite's own checkpoints in the
 * commit come back.
 */
export class BackgroundCheckpoints {
  private worker: Worker | undefined;
  private exited: Promise<unknown> = Promise.resolve();
  private readonly writers: SqliteDatabase.Database[] = [];
  private readonly restartLogAfterFrames: number;
  private statements = 0;
  private passRunning = false;
  private lastPassAt = Number.NEGATIVE_INFINITY;
  private catchUpDue = false;
  private failed = false;
  private closing = false;

  /** `writer`: the writer's first connection (see adopt). */
  constructor(
    private readonly options: SqliteWorkerOptions,
    writer: SqliteDatabase.Database,
  ) {
    this.restartLogAfterFrames = options.restartLogAfterFrames ?? DEFAULT_RESTART_LOG_AFTER_FRAMES;
    this.adopt(writer);
  }

  /** A writer connection: its commits stop checkpointing while the checkpoint thread works. */
  adopt(db: SqliteDatabase.Database): void {
    this.writers.push(db);
    if (this.worker && !this.failed) db.pragma('wal_autocheckpoint = 0');
  }

  /** Call after each statement the writer ran outside an explicit transaction; never throws. */
  afterStatement(db: SqliteDatabase.Database): void {
    if (this.failed || this.closing) return;
    try {
      this.step(db);
    } catch (error) {
      this.fail(error);
    }
  }

  /** Stops the checkpoint thread (its connection closes before the writer's). */
  async close(): Promise<void> {
    this.closing = true;
    if (this.worker && !this.failed) this.send('close');
    await this.exited;
  }

  private step(db: SqliteDatabase.Database): void {
    if (!this.worker) {
      if (++this.statements >= START_AFTER_STATEMENTS) this.start();
      return;
    }
    if (this.catchUpDue) {
      this.catchUpDue = false;
      passiveCheckpoint(db);
      // No pass until the next commit has started the log again: a pass holds locks that stop it.
      return;
    }
    if (this.passRunning || performance.now() - this.lastPassAt < PASS_INTERVAL_MS) return;
    this.passRunning = true;
    this.lastPassAt = performance.now();
    this.send('checkpoint');
  }

  private start(): void {
    const worker = startWorker(new URL('./checkpoint.worker', import.meta.url), { workerData: this.options });
    this.worker = worker;
    this.exited = new Promise((resolve) => worker.once('exit', resolve));
    worker.on('message', (result: CheckpointResult) => this.passDone(result));
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the checkpoint thread stopped (exit code ${code})`)));
    for (const db of this.writers) db.pragma('wal_autocheckpoint = 0');
  }

  private passDone(result: CheckpointResult): void {
    this.passRunning = false;
    if ('error' in result) this.fail(new Error(result.error));
    else if ('logFrames' in result) this.catchUpDue = result.logFrames > this.restartLogAfterFrames;
  }

  /** Gives the writer connections SQLite's own checkpoints back, for good, and says so once. */
  private fail(error: unknown): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    for (const db of this.writers) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
    void this.worker?.terminate();
    process.emitWarning(
      `SQLite checkpoints moved back into the commits: ${(error as Error).message ?? String(error)}`,
      { code: 'CENTINELA_SQLITE_CHECKPOINTS' },
    );
  }

  private send(request: CheckpointRequest): void {
    this.worker?.postMessage(request);
  }
}
