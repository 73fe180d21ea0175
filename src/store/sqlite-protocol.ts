/** Messages between the SQLite worker thread and the Kysely driver. */
export interface SqliteWorkerOptions {
  readonly path: string;
  readonly synchronous: 'full' | 'normal';
}

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
