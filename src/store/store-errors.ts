import { AppError } from '../errors.js';

/**
 * SQLite's "database is locked" (SQLITE_BUSY…, SQLITE_LOCKED…: another process held the write
 * lock for longer than the busy timeout, 5 s) as a STORE_UNAVAILABLE error worth a retry, not
 * a crash or a 500; undefined for any other error.
 */
export function storeBusyError(error: unknown): AppError | undefined {
  const code = codeOf(error);
  if (code === undefined || !/^SQLITE_(BUSY|LOCKED)/.test(code)) return undefined;
  return new AppError(
    'STORE_UNAVAILABLE',
    'The store is busy: another process held its write lock too long; retry.',
    { cause: error },
  );
}

/**
 * Socket failures on the way to PostgreSQL that pass (refused, reset, timed out, a name server
 * not answering). A host name that does not exist (ENOTFOUND) is a configuration error.
 */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * PostgreSQL SQLSTATEs of a server that cannot serve now: class 08 (connection exception),
 * 57P01–57P03 (shut down by an administrator or a crash, cannot connect now), 53300 (too many
 * connections). 55000 is one only for a database not accepting connections (it is also, say,
 * a sequence's currval not yet defined); a database that does not exist (3D000) is a
 * configuration error.
 */
const UNAVAILABLE_STATES = /^(08...|57P0[1-3]|53300)$/;
const NOT_ACCEPTING = /is not currently accepting connections/;

/** node-postgres's own words for a connection lost or never made (it gives them no code). */
const LOST_CONNECTION =
  /^(Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed)/;

/**
 * Any failure that means "the store cannot be reached or used now, retry": a busy SQLite file
 * ({@link storeBusyError}) or a PostgreSQL server that is down, restarting or refusing
 * connections. Such a failure is 503 STORE_UNAVAILABLE, never a 500. Undefined for any other error.
 */
export function storeUnavailableError(error: unknown): AppError | undefined {
  const busy = storeBusyError(error);
  if (busy) return busy;
  const code = codeOf(error);
  const message = error instanceof Error ? error.message : '';
  const unreachable =
    (code !== undefined && (SOCKET_CODES.has(code) || UNAVAILABLE_STATES.test(code))) ||
    (code === '55000' && NOT_ACCEPTING.test(message)) ||
    LOST_CONNECTION.test(message);
  if (!unreachable) return undefined;
  return new AppError('STORE_UNAVAILABLE', 'The store cannot be reached now; retry.', { cause: error });
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}
