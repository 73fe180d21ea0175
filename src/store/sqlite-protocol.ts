/** Messages between the SQLite worker thread and the Kysely driver. */
export interface SqliteWorkerOptions {
  readonly path: string;
  readonly synchronous: 'full' | 'normal';
  /**
   * Frames (pages) in the write-ahead log past which the writer checkpoints what the background
   * passes left, so that the log starts again from its beginning (see background-checkpoints.ts).
   */
  readonly restartLogAfterFrames?: number;
}

/** Messages to the checkpoint thread; it answers each 'checkpoint' with a CheckpointResult. */
export type CheckpointRequest = 'checkpoint' | 'close';

/** Frames in the log after a pass; `busy` when another checkpoint was running; or why the pass failed. */
export type CheckpointResult =
  { readonly logFrames: number } | { readonly busy: true } | { readonly error: string };

export interface SqliteRequest {
  readonly id: number;
  readonly sql: string;
  readonly parameters: readonly unknown[];
}

export interface SqliteResponse {
  readonly id: number;
  readonly rows?: unknown[];
  readonly changes?: number;
  readonly lastInsertRowid?: number;
  readonly error?: { readonly message: string; readonly code?: string | undefined };
}

/**
 * SQL the driver sends to begin and end an explicit transaction (the worker runs those on its
 * bulk connection). `begin immediate` takes the write lock at once: a deferred transaction
 * that reads and then writes fails with "database is locked" (SQLITE_BUSY, not retried by the
 * busy timeout) when another process, e.g. a CLI command on the service's file, wrote in
 * between; an immediate one waits for that writer instead. Explicit transactions here all
 * write, and this process has one writer, so it waits for no one of its own.
 */
export const TRANSACTION_SQL = { begin: 'begin immediate', commit: 'commit', rollback: 'rollback' } as const;
