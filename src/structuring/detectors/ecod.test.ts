import { describe, expect, it } from 'vitest';
import { ecod, ecodScores, fitEcod } from './ecod.js';
import { mulberry32, nextDouble } from './random.js';
import { rowsFromArrays, type Rows } from './rows.js';
import { loadFixture, scaledRows } from './sklearn-fixture.js';

const N = 1000;

/**
 * N uniform rows of 3 features plus one row far out in feature `extreme` and at the 1%
 * tail (same side) in the others: ECOD scores ranks, so "obvious" means extreme in rank.
 */
function dataWithOutlier(seed: number, extreme: number, sign: number): Rows {
  const rng = mulberry32(seed);
  const arrays = Array.from({ length: N }, () => [nextDouble(rng), nextDouble(rng), nextDouble(rng)]);
  const outlier = [0, 1, 2].map((j) => (j === extreme ? sign * 25 : 0.5 + sign * 0.49));
  return rowsFromArrays([...arrays, outlier]);
}

function argMaxOf(values: Float64Array): number {
  return values.indexOf(Math.max(...values));
}

describe('ecod', () => {
  it('scores an obvious outlier highest and names the extreme feature, on either tail', () => {
    for (const [seed, j, sign] of [
      [1, 0, 1],
      [2, 1, 1],
      [3, 2, 1],
      [4, 0, -1],
      [5, 1, -1],
      [6, 2, -1],
    ] as const) {
      const { scores, flags, extra } = ecod.fitScore(dataWithOutlier(seed, j, sign));
      expect(argMaxOf(scores)).toBe(N);
      expect(extra?.feature?.[N]).toBe(j);
      expect(flags[N]).toBe(1);
    }
  });

  it('is deterministic and flags the contamination share of the fitted rows', () => {
    const rows = scaledRows();
    const a = ecod.fitScore(rows, { contamination: 0.05 });
    expect(ecod.fitScore(rows, { contamination: 0.05 })).toEqual(a);
    const flagged = a.flags.reduce((sum, f) => sum + f, 0);
    expect(flagged).toBeLessThanOrEqual(Math.ceil(0.05 * rows.n));
    expect(flagged).toBeGreaterThan(0);
  });

  it('ranks the split-payment rows of the parity fixture among the top scores', () => {
    const { scores } = ecod.fitScore(scaledRows());
    const cutoff = Float64Array.from(scores).sort().at(-10)!;
    expect(
      loadFixture()
        .X.slice(-3)
        .every((_, k) => scores[300 + k]! >= cutoff),
    ).toBe(true);
  });

  it('scores new rows against the fitted sample, finitely even beyond its range', () => {
    const rows = scaledRows();
    const model = fitEcod(rows);
    const far = rowsFromArrays([[100, 100, 100, 100]]);
    const [score] = ecodScores(model, far, false).scores;
    expect(Number.isFinite(score)).toBe(true);
    expect(score).toBeGreaterThan(Math.max(...ecodScores(model, rows, true).scores));
  });
});
