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

/** SQL the driver sends to begin and end an explicit transaction (the worker runs those on its bulk connection). */
export const TRANSACTION_SQL = { begin: 'begin', commit: 'commit', rollback: 'rollback' } as const;
