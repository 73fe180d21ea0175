import { AppError } from '../errors.js';

/**
 * SQLite's "database is locked" (SQLITE_BUSY…, SQLITE_LOCKED…: another process held the write
 * lock for longer than the busy timeout, 5 s) as a STORE_UNAVAILABLE error worth a retry, not
 * a crash or a 500; undefined for any other error.
 */
export function storeBusyError(error: unknown): AppError | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (typeof code !== 'string' || !/^SQLITE_(BUSY|LOCKED)/.test(code)) return undefined;
  return new AppError(
    'STORE_UNAVAILABLE',
    'The store is busy: another process held its write lock too long; retry.',
    { cause: error },
  );
}
