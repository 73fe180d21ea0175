import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';
import type SqliteDatabase from 'better-sqlite3';
import { startWorker } from '../shared/worker-thread.js';
import type { CheckpointRequest, CheckpointResult, SqliteWorkerOptions } from './sqlite-protocol.js';
import { passiveCheckpoint, SQLITE_AUTOCHECKPOINT_PAGES } from './wal.js';

/** Least time between the starts of two background passes while writes come in. */
const PASS_INTERVAL_MS = 20;
/** 16 MB of 4 KiB pages. */
export const DEFAULT_WAL_LIMIT_PAGES = 4000;
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
 * that was about 17 commits a second, each taking 5–47 ms instead of about 1, and every
 * request queued behind it waited as long.
 *
 * Here a second thread (checkpoint.worker.ts) copies the log while writes come in, at most
 * every PASS_INTERVAL_MS. Such a passive checkpoint never catches up with a writer that keeps
 * writing, and SQLite only starts the log again from its beginning once all of it has been
 * copied; so once a pass reports more than `walLimitPages` frames, the writer itself
 * checkpoints right after its next commit, which only has to copy the frames written since
 * that pass began, and its following commit starts the log again. If the checkpoint thread
 * fails, SQLite's own checkpoints in the commit come back.
 */
export class BackgroundCheckpoints {
  private worker: Worker | undefined;
  private readonly writers: SqliteDatabase.Database[] = [];
  private readonly limitPages: number;
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
    this.limitPages = options.walLimitPages ?? DEFAULT_WAL_LIMIT_PAGES;
    this.adopt(writer);
  }

  /** A writer connection: its commits stop checkpointing while the checkpoint thread works. */
  adopt(db: SqliteDatabase.Database): void {
    this.writers.push(db);
    if (this.worker && !this.failed) db.pragma('wal_autocheckpoint = 0');
  }

  /** Call after each statement the writer ran outside an explicit transaction. */
  afterStatement(db: SqliteDatabase.Database): void {
    if (this.failed) return;
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

  /** Stops the checkpoint thread (its connection closes before the writer's). */
  async close(): Promise<void> {
    const worker = this.worker;
    if (!worker || this.failed) return;
    this.closing = true;
    const exited = new Promise((resolve) => worker.once('exit', resolve));
    this.send('close');
    await exited;
  }

  private start(): void {
    this.worker = startWorker(new URL('./checkpoint.worker', import.meta.url), { workerData: this.options });
    this.worker.on('message', (result: CheckpointResult) => this.passDone(result));
    this.worker.on('error', () => this.fail());
    this.worker.on('exit', () => this.fail());
    for (const db of this.writers) db.pragma('wal_autocheckpoint = 0');
  }

  private passDone(result: CheckpointResult): void {
    this.passRunning = false;
    if ('error' in result) this.fail();
    else this.catchUpDue = result.logFrames > this.limitPages;
  }

  private fail(): void {
    if (this.failed || this.closing) return;
    this.failed = true;
    for (const db of this.writers) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
    void this.worker?.terminate();
  }

  private send(request: CheckpointRequest): void {
    this.worker?.postMessage(request);
  }
}
