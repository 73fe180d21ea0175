import { describe, expect, it } from 'vitest';
import { requestsDue } from './simulate.command.js';

describe('requestsDue', () => {
  it('follows the rate during the run', () => {
    expect(requestsDue(0, 10, 4)).toBe(0);
    expect(requestsDue(99, 10, 4)).toBe(0);
    expect(requestsDue(100, 10, 4)).toBe(1);
    expect(requestsDue(2_050, 10, 4)).toBe(20);
    expect(requestsDue(290, 100, 4)).toBe(29); // (290 / 1000) × 100 is 28.999… in floating point
  });

  it('makes every request due once the duration is over, however the clock rounds', () => {
    // The loop ends once the clock is past the duration, and then everything is due (the old
    // loop clamped the clock at start + duration, read back as 3999.9999999999927 ms after a
    // start of 62444.39094217984, and stopped at 39 of 40: seen in CI).
    expect(requestsDue(4_000, 10, 4)).toBe(40);
    expect(requestsDue(4_500, 10, 4)).toBe(40);
    // rate × duration that is not whole: 3.5 requests round to 4, all sent by the end.
    expect(requestsDue(349, 10, 0.35)).toBe(3);
    expect(requestsDue(350, 10, 0.35)).toBe(4);
  });
});
