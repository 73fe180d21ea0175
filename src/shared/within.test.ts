import { describe, expect, it } from 'vitest';
import { within } from './within.js';

const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('within', () => {
  it('answers what the promise answers in time', async () => {
    await expect(within(after(5, 'ok'), 200)).resolves.toBe('ok');
    await expect(within(Promise.reject(new Error('down')), 200)).rejects.toThrow('down');
  });

  it('rejects once the time has passed, whatever the promise does later', async () => {
    const started = Date.now();
    const slow = after(300, 'late').then(() => Promise.reject(new Error('failed late')));
    await expect(within(slow, 50)).rejects.toThrow('no answer within 50 ms');
    expect(Date.now() - started).toBeLessThan(250);
    await after(300, undefined); // its late failure is not unhandled
  });
});
