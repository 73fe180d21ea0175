import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { causeOf } from './worker.command.js';

describe('causeOf (the worker says why a batch failed)', () => {
  it("names the store's own reason under STORE_UNAVAILABLE, and nothing for an error without a cause", () => {
    const deadlock = Object.assign(new Error('deadlock detected'), { code: '40P01' });
    const failure = new AppError('STORE_UNAVAILABLE', 'The transaction could not be stored; retry.', {
      cause: deadlock,
    });
    expect(causeOf(failure)).toBe(' (cause: deadlock detected)');
    expect(causeOf(new Error('plain'))).toBe('');
    expect(causeOf(undefined)).toBe('');
  });
});
