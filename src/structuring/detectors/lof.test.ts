import { describe, expect, it } from 'vitest';
import { fitLof, localOutlierFactor, lofOfNewRows } from './lof.js';
import { rowsFromArrays } from './rows.js';
import { loadFixture, maxAbsError, scaledRows } from './sklearn-fixture.js';

const fixture = loadFixture();
const reference = fixture.lof;
const rows = scaledRows();

describe('local outlier factor: sklearn parity', () => {
  const model = fitLof(rows, 20, 'auto');

  it('reproduces n_neighbors_, offset_ and negative_outlier_factor_', () => {
    expect(model.k).toBe(reference.n_neighbors_);
    expect(model.offset).toBe(reference.offset_);
    expect(maxAbsError(model.negativeOutlierFactor, reference.negative_outlier_factor_)).toBeLessThan(1e-12);
  });

  it('reproduces fit_predict through the detector interface', () => {
    const { scores, flags } = localOutlierFactor.fitScore(rows);
    expect(Array.from(flags, (f) => (f ? -1 : 1))).toEqual(reference.fit_predict);
    expect(
      maxAbsError(
        scores.map((s) => -s),
        reference.negative_outlier_factor_,
      ),
    ).toBeLessThan(1e-12);
  });

  it('uses the contamination percentile as offset', () => {
    const { offset, negativeOutlierFactor } = fitLof(rows, 20, 0.1);
    const flagged = negativeOutlierFactor.filter((v) => v < offset).length;
    // Linear interpolation puts the offset just above the floor(q·(n−1))-th smallest value.
    expect(flagged).toBe(Math.floor(0.1 * (rows.n - 1)) + 1);
  });
});

describe('local outlier factor: sampling and new rows', () => {
  it('scores a new row far from the data as a strong outlier', () => {
    const model = fitLof(rows, 20, 'auto');
    const far = rowsFromArrays([[50, 50, 50, 50]]);
    expect(lofOfNewRows(model, far)[0]).toBeGreaterThan(10);
  });

  it('fits on a seeded sample, scores every row, and is deterministic', () => {
    const big = rowsFromArrays([...fixture.X_scaled, ...fixture.X_scaled.map((r) => r.map((v) => v + 1e-3))]);
    const a = localOutlierFactor.fitScore(big, { fitSampleSize: 400, seed: 5 });
    const b = localOutlierFactor.fitScore(big, { fitSampleSize: 400, seed: 5 });
    expect(a.scores).toHaveLength(big.n);
    expect(a.scores).toEqual(b.scores);
    expect(a.flags[302]).toBe(1);
  });
});
