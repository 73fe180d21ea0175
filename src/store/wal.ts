import type SqliteDatabase from 'better-sqlite3';

/** SQLite's own limit for the checkpoint it runs inside a commit (`wal_autocheckpoint`). */
export const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

interface CheckpointRow {
  readonly busy: number;
  readonly log: number;
  readonly checkpointed: number;
}

/**
 * Copies into the database file what the write-ahead log holds and no reader still needs,
 * without waiting for anyone. `logFrames` is the log's length, unknown (undefined) when
 * another checkpoint was running.
 */
export function passiveCheckpoint(db: SqliteDatabase.Database): { logFrames: number | undefined } {
  const [row] = db.pragma('wal_checkpoint(PASSIVE)') as CheckpointRow[];
  return { logFrames: row === undefined || row.busy === 1 || row.log < 0 ? undefined : row.log };
}
