import { describe, expect, it } from 'vitest';
import { storeUnavailableError } from './store-errors.js';

const failure = (message: string, code?: string) => Object.assign(new Error(message), code ? { code } : {});

describe('storeUnavailableError', () => {
  it('reads a store that cannot serve now as STORE_UNAVAILABLE', () => {
    for (const error of [
      failure('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
      failure('terminating connection due to administrator command', '57P01'),
      failure('sorry, too many clients already', '53300'),
      failure('database "x" is not currently accepting connections', '55000'),
      failure('Connection terminated unexpectedly'),
      failure('database is locked', 'SQLITE_BUSY'),
    ])
      expect(storeUnavailableError(error)?.code, error.message).toBe('STORE_UNAVAILABLE');
  });

  it('leaves configuration errors and refused statements alone', () => {
    for (const error of [
      failure('getaddrinfo ENOTFOUND nohost', 'ENOTFOUND'),
      failure('database "nosuch" does not exist', '3D000'),
      failure('currval of sequence "s" is not yet defined in this session', '55000'),
      failure('duplicate key value violates unique constraint "transactions_seq"', '23505'),
      failure('no such table: x'),
    ])
      expect(storeUnavailableError(error), error.message).toBeUndefined();
  });
});
