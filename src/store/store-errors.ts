/**
 * True for SQLite's "database is locked" (SQLITE_BUSY…, SQLITE_LOCKED…): another process held
 * the write lock for longer than the busy timeout (5 s). Worth a retry, not a crash or a 500.
 */
export function isStoreBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && /^SQLITE_(BUSY|LOCKED)/.test(code);
}

/** What people are told when {@link isStoreBusy}. */
export const STORE_BUSY_MESSAGE = 'The store is busy: another process held its write lock too long; retry.';
