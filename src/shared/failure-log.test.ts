import { afterEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors.js';
import { failureLog } from './failure-log.js';

describe('failureLog', () => {
  afterEach(() => vi.restoreAllMocks());

  it('says a known failure in one line, and the same one again only after a minute', () => {
    const lines: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args));
    let now = 0;
    const log = failureLog('rules refresh', () => now);
    const outage = new AppError('STORE_UNAVAILABLE', 'The store cannot be read; retry.');
    for (; now < 30_000; now += 1000) log(outage); // a refresh a second for 30 s
    log(new Error('Connection terminated unexpectedly'));
    now = 61_000;
    log(outage);
    expect(lines).toEqual([
      ['rules refresh failed: STORE_UNAVAILABLE: The store cannot be read; retry.'],
      ['rules refresh failed: STORE_UNAVAILABLE: The store cannot be reached now; retry.'],
      ['rules refresh failed: STORE_UNAVAILABLE: The store cannot be read; retry.'],
    ]);
  });

  it('keeps the error itself (and its stack) for an unexpected failure', () => {
    const lines: unknown[][] = [];
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void lines.push(args));
    const bug = new TypeError("Cannot read properties of undefined (reading 'rules')");
    failureLog('model refresh')(bug);
    expect(lines).toEqual([['model refresh failed', bug]]);
  });
});
