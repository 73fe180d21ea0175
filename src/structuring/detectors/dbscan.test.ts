import { describe, expect, it } from 'vitest';
import { dbscan, fitDbscan, labelByNearestCore, standardise } from './dbscan.js';
import { rowsFromArrays } from './rows.js';
import { loadFixture, maxAbsError, scaledRows } from './sklearn-fixture.js';

const fixture = loadFixture();
const reference = fixture.dbscan;
const rows = scaledRows();

describe('dbscan: sklearn parity', () => {
  it('reproduces labels_ and core_sample_indices_', () => {
    const model = fitDbscan(rows, reference.eps, reference.min_samples);
    expect(Array.from(model.labels)).toEqual(reference.labels_);
    expect(Array.from(model.coreSampleIndices)).toEqual(reference.core_sample_indices_);
  });

  it('flags exactly the noise points through the detector interface', () => {
    const result = dbscan.fitScore(rows, { eps: reference.eps, minSamples: reference.min_samples });
    expect(Array.from(result.extra?.labels ?? [])).toEqual(reference.labels_);
    expect(Array.from(result.flags)).toEqual(reference.labels_.map((l) => (l === -1 ? 1 : 0)));
    result.scores.forEach((s, i) => expect(s > 1).toBe(result.flags[i] === 1));
  });

  it('standardises like the fixture (population std)', () => {
    const scaled = standardise(rowsFromArrays(fixture.X));
    expect(maxAbsError(scaled.data, rows.data)).toBeLessThan(1e-12);
  });
});

describe('dbscan: rows outside the fitted sample', () => {
  it('labels a row by its nearest core point within eps, else as noise', () => {
    const model = fitDbscan(rows, 0.5, 5);
    const core = model.coreSampleIndices[0]!;
    const near = rows.data.slice(core * rows.d, (core + 1) * rows.d).map((v) => v + 0.01);
    const result = labelByNearestCore(model, rowsFromArrays([Array.from(near), [40, 40, 40, 40]]));
    expect(result.labels[0]).toBe(model.labels[core]);
    expect(result.labels[1]).toBe(-1);
  });

  it('fits on a seeded sample and labels every row deterministically', () => {
    const big = rowsFromArrays([...fixture.X_scaled, ...fixture.X_scaled]);
    const a = dbscan.fitScore(big, { fitSampleSize: 303, minSamples: 3, seed: 9 });
    const b = dbscan.fitScore(big, { fitSampleSize: 303, minSamples: 3, seed: 9 });
    expect(a.flags).toHaveLength(big.n);
    expect(a.extra?.labels).toEqual(b.extra?.labels);
    expect(a.flags[302]).toBe(1);
  });
});
