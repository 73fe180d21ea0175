import { describe, expect, it } from 'vitest';
import { rowsFromArrays } from './rows.js';
import { loadFixture } from './sklearn-fixture.js';
import { zScore } from './zscore.js';

const fixture = loadFixture();
const raw = rowsFromArrays(fixture.X);

describe('zscore', () => {
  it('scores |z| of the fixture standardisation and flags |z| > 3 on count or sum', () => {
    const { scores, flags, extra } = zScore.fitScore(raw);
    fixture.X_scaled.forEach((z, i) => {
      const expected = Math.max(Math.abs(z[0]!), Math.abs(z[1]!));
      expect(scores[i]).toBeCloseTo(expected, 12);
      expect(flags[i]).toBe(expected > 3 ? 1 : 0);
      expect(extra?.feature?.[i]).toBe(Math.abs(z[0]!) >= Math.abs(z[1]!) ? 0 : 1);
    });
    expect(Array.from(flags.slice(-3))).toEqual([1, 1, 1]);
  });

  it('honours the threshold and columns options', () => {
    const { flags } = zScore.fitScore(raw, { threshold: 1, columns: [3] });
    fixture.X_scaled.forEach((z, i) => expect(flags[i]).toBe(Math.abs(z[3]!) > 1 ? 1 : 0));
    expect(() => zScore.fit(raw, { columns: [9] })).toThrow(RangeError);
  });
});
